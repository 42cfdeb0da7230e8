FROM localhost:5000/team/app:1@sha256:abc
FROM docker.io/library/ubuntu
FROM nvcr.io/nvidia/k8s/dcgm-exporter:3
FROM a//b
FROM :x
FROM scratch
