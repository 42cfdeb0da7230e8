FROM alpine
FOO bar
{{ template }}
RUN echo ok
ENV --bad=1 A=b
