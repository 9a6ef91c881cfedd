from __future__ import annotations

from mlflowrest._exceptions import ResourceDoesNotExistError
from mlflowrest._generated import models
from mlflowrest._generated.operations import OPERATIONS
from mlflowrest._generated.resources import ExperimentsResource as _Generated
from mlflowrest.resources._request_id import REQUEST_ID_TAG, new_request_id


class ExperimentsResource(_Generated):
    def create(
        self,
        *,
        name: str,
        artifact_location: str | None = None,
        tags: list[models.ExperimentTag] | None = None,
        timeout: float | None = None,
    ) -> models.CreateExperimentResponse:
        """Create an experiment. A retry after a lost answer returns the experiment the first
        try made (matched by a request-id tag) instead of failing RESOURCE_ALREADY_EXISTS."""
        request_id = new_request_id()
        all_tags = [*(tags or []), models.ExperimentTag(key=REQUEST_ID_TAG, value=request_id)]

        def recover() -> models.CreateExperimentResponse | None:
            try:
                found = self.get_by_name(experiment_name=name).experiment
            except ResourceDoesNotExistError:
                return None
            if found and any(t.key == REQUEST_ID_TAG and t.value == request_id for t in found.tags or []):
                return models.CreateExperimentResponse(experiment_id=found.experiment_id)
            return None

        return self._call(
            models.CreateExperimentResponse, OPERATIONS["createExperiment"], {},
            {"name": name, "artifact_location": artifact_location, "tags": all_tags},
            timeout=timeout, recover=recover,
        )  # fmt: skip

    def get_or_create(self, name: str) -> str:
        """The id of the experiment with this name, created when missing."""
        try:
            found = self.get_by_name(experiment_name=name).experiment
            if found and found.experiment_id:
                return found.experiment_id
        except ResourceDoesNotExistError:
            pass
        return str(self.create(name=name).experiment_id)
