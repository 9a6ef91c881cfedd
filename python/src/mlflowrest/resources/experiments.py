from __future__ import annotations

from mlflowrest._exceptions import ResourceDoesNotExistError
from mlflowrest._generated.resources import ExperimentsResource as _Generated


class ExperimentsResource(_Generated):
    def get_or_create(self, name: str) -> str:
        """The id of the experiment with this name, created when missing."""
        try:
            found = self.get_by_name(experiment_name=name).experiment
            if found and found.experiment_id:
                return found.experiment_id
        except ResourceDoesNotExistError:
            pass
        return str(self.create(name=name).experiment_id)
