from __future__ import annotations

from mlflowrest._exceptions import ResourceDoesNotExistError
from mlflowrest._generated.resources import ExperimentsResource as _Generated


class ExperimentsResource(_Generated):
    def get_or_create(self, name: str) -> str:
        """The id of the experiment with this name, created when missing."""
        journal = self._client._transport.journal
        if journal is not None and journal.offline:
            return journal.experiment_for(name)  # nothing to look up offline: synced by name
        try:
            found = self.get_by_name(experiment_name=name).experiment
            if found and found.experiment_id:
                return found.experiment_id
        except ResourceDoesNotExistError:
            pass
        return str(self.create(name=name).experiment_id)
