FROM alpine
RUN echo "a && b" 'c; d' | tee x || true; env A=1 sudo -u me sh -c 'x'
ENV A="unterminated
LABEL b='x
