FROM alpine
MAINTAINER someone
LABEL a=b "c d"=e
ENV OLD form value
ENV A=1 B="two words"
EXPOSE 80 443/tcp
WORKDIR /app
USER 1000
VOLUME ["/data"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s CMD wget -q -O- localhost
SHELL ["/bin/sh", "-c"]
ARG X=1
ENTRYPOINT ["x"]
CMD x
ADD a.tar.gz /
ADD https://example.org/f /f
COPY . /
RUN true
