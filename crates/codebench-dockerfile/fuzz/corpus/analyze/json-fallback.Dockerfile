FROM alpine
CMD [python app.py]
RUN ["a", 1]
VOLUME ["/a",
SHELL /bin/sh
