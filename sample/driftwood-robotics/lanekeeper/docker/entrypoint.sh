#!/bin/sh
set -e
. /opt/ros/"${ROS_DISTRO:-humble}"/setup.sh
. /opt/lanekeeper/ws/install/setup.sh
exec ros2 launch lanekeeper drive.launch.py \
    camera:="$LK_CAMERA" model:="$LK_MODEL" max_throttle:="$LK_MAX_THROTTLE" rate:="$LK_CONTROL_HZ"
