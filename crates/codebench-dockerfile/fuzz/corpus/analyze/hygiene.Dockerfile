FROM ubuntu
RUN apt-get install -y curl
RUN pip install flask && python -m pip install x
ADD . /app
USER root
