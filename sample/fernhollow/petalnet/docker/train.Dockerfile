FROM pytorch/pytorch:2.3.1-cuda12.1-cudnn8-devel

RUN apt-get update && apt-get install -y libgl1 libglib2.0-0

WORKDIR /opt/petalnet
COPY requirements.txt requirements-train.txt ./
RUN pip install -r requirements.txt -r requirements-train.txt

COPY . .

VOLUME ["/data", "/runs"]

# Resize and shard the photos, then train.
CMD python prepare_data.py --src /data/raw --dst /data/shards --size 256 \
    && python train.py --config configs/petal_s.yaml --data /data/shards --out /runs
