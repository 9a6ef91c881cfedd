"""Plugins for the official `mlflow` client, registered as entry points in pyproject.toml.

- `request_headers.MlflowRestHeaders` (group `mlflow.request_header_provider`): the official
  client sends the same auth and SSO headers as mlflowrest.
- `deployments` (group `mlflow.deployments`, target `mlflowrest-local`): serves registered
  model versions as local HTTP prediction endpoints.

mlflow loads these; mlflowrest never imports them, and they import mlflow only inside functions.
"""
