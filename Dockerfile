# Casebook web service: slim Python 3.11, non-root, gunicorn.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    CASEBOOK_STATIC_ROOT=/app/staticfiles

RUN groupadd --system casebook && useradd --system --gid casebook --home /app casebook
WORKDIR /app

COPY pyproject.toml constraints.txt ./
COPY casebook ./casebook
COPY config ./config
RUN pip install --no-cache-dir -c constraints.txt .

COPY manage.py ./
COPY templates ./templates
COPY static ./static
COPY locale ./locale
COPY docker/entrypoint.sh /usr/local/bin/casebook-entrypoint
# collectstatic needs settings to load; the values are placeholders used only for this step.
RUN CASEBOOK_SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput --verbosity 0 && \
    CASEBOOK_SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py compile_catalogues --verbosity 0 && rm -f /tmp/build.sqlite3

USER casebook
EXPOSE 8000
ENTRYPOINT ["casebook-entrypoint"]
