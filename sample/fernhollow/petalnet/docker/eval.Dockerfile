FROM pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime

WORKDIR /opt/petalnet
COPY requirements.txt requirements-eval.txt ./
RUN pip install --no-cache-dir -r requirements.txt -r requirements-eval.txt

COPY . .

# First the golden-prediction tests, then the full metrics report.
CMD ["sh", "-c", "pytest -q tests/model/test_golden_predictions.py && python evaluate.py --split test --checkpoint /runs/best.pt --report /runs/metrics.json"]
