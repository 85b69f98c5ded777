"""The legacy-API ServerApp: `DefaultWorkflow` with `flwr.server.strategy.FedAvg`, optionally
with `SecAggPlusWorkflow` as its fit workflow. Records what it sends, receives and aggregates."""

import json
import os

from flwr.app import Context
from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays
from flwr.server import LegacyContext, ServerConfig
from flwr.server.strategy import FedAvg
from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow
from flwr.serverapp import Grid

from . import task


def _plain(parameters) -> dict:
    return {name: array.astype(float).ravel().tolist()
            for name, array in zip(task.NAMES, parameters_to_ndarrays(parameters))}


class RecordingFedAvg(FedAvg):
    """FedAvg, writing every round (global, replies, aggregate) and evaluation to `path`."""

    def __init__(self, path: str, **kwargs):
        super().__init__(**kwargs)
        self.path, self.rounds, self.evaluations = path, [], []

    def configure_fit(self, server_round, parameters, client_manager):
        self.rounds.append({"round": server_round, "global": _plain(parameters), "replies": []})
        return super().configure_fit(server_round, parameters, client_manager)

    def aggregate_fit(self, server_round, results, failures):
        for proxy, fit in results:
            self.rounds[-1]["replies"].append({"node": proxy.node_id, "error": False, "arrays": _plain(fit.parameters),
                                               "metrics": {"num-examples": fit.num_examples, **fit.metrics}})
        self.rounds[-1]["failures"] = len(failures)
        parameters, metrics = super().aggregate_fit(server_round, results, failures)
        self.rounds[-1]["aggregate"] = _plain(parameters) if parameters is not None else None
        self._write()
        return parameters, metrics

    def aggregate_evaluate(self, server_round, results, failures):
        self.evaluations.append({"round": server_round, "failures": len(failures), "replies": [
            {"node": proxy.node_id, "error": False,
             "metrics": {"num-examples": res.num_examples, "loss": res.loss, **res.metrics}}
            for proxy, res in results]})
        self._write()
        return super().aggregate_evaluate(server_round, results, failures)

    def _write(self):
        if self.path:
            temporary = self.path + ".tmp"
            with open(temporary, "w") as f:
                json.dump({"rounds": self.rounds, "evaluations": self.evaluations}, f)
            os.replace(temporary, self.path)


def run(grid: Grid, context: Context) -> None:
    config = context.run_config
    nodes = int(config["min-nodes"])
    initial = task.initial_arrays(int(config["hidden"]), int(config["seed"]))

    def fit_config(server_round: int) -> dict:
        return {"lr": float(config["lr"]), "local-epochs": int(config["local-epochs"]),
                "batch-size": int(config["batch-size"]), "server-round": server_round}

    strategy = RecordingFedAvg(
        str(config["record"]), fraction_fit=1.0, fraction_evaluate=float(config["fraction-evaluate"]),
        min_fit_clients=nodes, min_evaluate_clients=nodes, min_available_clients=nodes,
        on_fit_config_fn=fit_config, on_evaluate_config_fn=lambda server_round: {"server-round": server_round},
        initial_parameters=ndarrays_to_parameters([initial[name] for name in task.NAMES]))
    legacy_context = LegacyContext(context=context, config=ServerConfig(num_rounds=int(config["num-server-rounds"])),
                                   strategy=strategy)
    if str(config["workflow"]) == "secaggplus":
        fit_workflow = SecAggPlusWorkflow(num_shares=int(config["num-shares"]),
                                          reconstruction_threshold=int(config["reconstruction-threshold"]),
                                          timeout=float(config["secagg-timeout"]))
        workflow = DefaultWorkflow(fit_workflow=fit_workflow)
    else:
        workflow = DefaultWorkflow()
    workflow(grid, legacy_context)
