"""FedAvg (or FedProx when `proximal-mu` > 0) over all connected nodes; when run config
`record` names a file, every round's global arrays, each node's reply (arrays, metrics) and the
aggregate are written there as JSON, so a test can recompute the example-weighted mean.

Run config `workflow` chooses the API: `message` (the message-API strategies), `legacy`
(`DefaultWorkflow` with `flwr.server.strategy.FedAvg`: the `fitins`/`fitres` layout) or
`secaggplus` (the same with `SecAggPlusWorkflow(num-shares, reconstruction-threshold)`, whose
replies carry no individual arrays: the record then holds the aggregate only).
"""

import json
import os

from flwr.app import Array, ArrayRecord, ConfigRecord, Context
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg, FedProx

from . import legacy, task

app = ServerApp()


def _plain(record: ArrayRecord) -> dict:
    if record is None or sum(a.numpy().size for a in record.values()) > 1_000_000:
        return {}  # too large to record (benchmarks)
    return {name: array.numpy().astype(float).ravel().tolist() for name, array in record.items()}


def recording(base):
    class Recording(base):
        """The strategy, recording what it sends, receives and aggregates."""

        def __init__(self, path: str, **kwargs):
            super().__init__(**kwargs)
            self.path, self.rounds, self.evaluations = path, [], []

        def configure_train(self, server_round, arrays, config, grid):
            self.rounds.append({"round": server_round, "global": _plain(arrays), "replies": []})
            return super().configure_train(server_round, arrays, config, grid)

        def aggregate_train(self, server_round, replies):
            replies = list(replies)
            for reply in replies:
                entry = {"node": reply.metadata.src_node_id, "error": reply.has_error()}
                if not reply.has_error():
                    entry["arrays"] = _plain(reply.content["arrays"])
                    entry["metrics"] = dict(next(iter(reply.content.metric_records.values())))
                self.rounds[-1]["replies"].append(entry)
            arrays, metrics = super().aggregate_train(server_round, replies)
            self.rounds[-1]["aggregate"] = _plain(arrays) if arrays is not None else None
            self.rounds[-1]["metrics"] = dict(metrics) if metrics is not None else None
            self._write()
            return arrays, metrics

        def aggregate_evaluate(self, server_round, replies):
            replies = list(replies)
            self.evaluations.append({"round": server_round, "replies": [
                {"node": r.metadata.src_node_id, "error": r.has_error(),
                 "metrics": None if r.has_error() else dict(next(iter(r.content.metric_records.values())))}
                for r in replies]})
            self._write()
            return super().aggregate_evaluate(server_round, replies)

        def _write(self):
            if self.path:
                temporary = self.path + ".tmp"
                with open(temporary, "w") as f:
                    json.dump({"rounds": self.rounds, "evaluations": self.evaluations}, f)
                os.replace(temporary, self.path)

    return Recording


@app.main()
def main(grid: Grid, context: Context) -> None:
    config = context.run_config
    if str(config["workflow"]) != "message":
        legacy.run(grid, context)
        return
    mu = float(config["proximal-mu"])
    nodes = int(config["min-nodes"])
    kwargs = {"min_available_nodes": nodes, "min_train_nodes": nodes, "min_evaluate_nodes": nodes,
              "fraction_evaluate": float(config["fraction-evaluate"])}
    if mu > 0:
        strategy = recording(FedProx)(str(config["record"]), proximal_mu=mu, **kwargs)
    else:
        strategy = recording(FedAvg)(str(config["record"]), **kwargs)
    initial = ArrayRecord({k: Array(v) for k, v in task.initial_arrays(int(config["hidden"]), int(config["seed"])).items()})
    train_config = ConfigRecord({"lr": float(config["lr"]), "local-epochs": int(config["local-epochs"]),
                                 "batch-size": int(config["batch-size"])})
    strategy.start(grid=grid, initial_arrays=initial, num_rounds=int(config["num-server-rounds"]),
                   train_config=train_config, timeout=120)
