FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY app app
COPY bot bot
COPY core core
COPY publishers publishers
COPY scheduler scheduler
COPY storage storage
COPY webhooks webhooks
COPY web web
RUN pip install --no-cache-dir .
ENV OUTPOST_ENV=production
EXPOSE 8080
CMD ["outpost", "run"]
