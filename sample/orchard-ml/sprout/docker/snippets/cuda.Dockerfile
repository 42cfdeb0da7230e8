# Shared CUDA setup. Not a complete Dockerfile: docker/assemble.sh pastes it
# into the GPU Dockerfiles after their FROM and ARG lines.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libnccl2=${NCCL_VERSION} libnccl-dev=${NCCL_VERSION} \
    && rm -rf /var/lib/apt/lists/*
ENV NCCL_DEBUG=WARN \
    SPROUT_USE_NCCL=1
RUN ldconfig && nvcc --version
