RUN apt-get update && apt-get install -y curl
ENV PATH=/opt/bin:$PATH
