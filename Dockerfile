# One image for web, worker and beat. Install steps mirror .ci/run (apt packages, then pip).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# fonts-noto-cjk: Chinese on the courtyard signs and PDFs; gettext: compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml ./
# The project itself installs no package: this pulls in the pinned dependencies.
RUN pip install --no-cache-dir .
COPY . .
RUN python -m villageaffairs.i18n_compile \
    && SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 village \
    && mkdir -p /app/media && chown village /app/media

USER village
EXPOSE 8000
# Bind, workers and the log format (no query strings in the access log): deploy/gunicorn.conf.py.
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "villageaffairs.wsgi:application"]
