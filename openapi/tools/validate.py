"""Validate openapi/mlflow.yaml against the OpenAPI 3.1 schema."""

from pathlib import Path

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

spec_path = Path(__file__).resolve().parents[1] / "mlflow.yaml"
spec, _ = read_from_filename(str(spec_path))
validate(spec)
ops = sum(len(item) for item in spec["paths"].values())
print(f"{spec_path.name}: valid OpenAPI {spec['openapi']}, {len(spec['paths'])} paths, {ops} operations")
