ARG BASE=python:3.11
ARG TAG
FROM ${BASE}
FROM nvidia/cuda:${TAG:-12.1}-devel
FROM ${REG}/img:${TAG}
FROM $UNSET AS x
FROM x
