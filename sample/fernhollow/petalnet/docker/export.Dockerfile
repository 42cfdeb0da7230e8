FROM python:3.11-slim

WORKDIR /opt/petalnet
RUN pip install --no-cache-dir torch==2.3.1 --index-url https://download.pytorch.org/whl/cpu \
    && pip install --no-cache-dir onnx==1.16.1 onnxruntime==1.18.1

COPY petalnet/ petalnet/
COPY export.py .

ENTRYPOINT ["python", "export.py"]
CMD ["--checkpoint", "/runs/best.pt", "--format", "onnx", "--opset", "17", "--out", "/out/petal_s.onnx"]
