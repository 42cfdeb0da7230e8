# syntax=docker/dockerfile:1.6
# escape=`
# check=skip=all
FROM mcr.microsoft.com/windows/servercore:ltsc2022
RUN dir `
  && echo done
