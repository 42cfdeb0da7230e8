FROM ubuntu:22.04
RUN apt-get update \  
    # comment inside

    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
