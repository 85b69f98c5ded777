"""The Python node: trains the numpy MLP on its Fashion-MNIST share (node config
`partition-id`, `num-partitions`, `examples`). It answers both message layouts: the message API's
(`arrays`, `config`) and the legacy `fitins.*`/`evaluateins.*` of `DefaultWorkflow`, and takes
part in SecAgg+ (`secaggplus_mod`) when a `SecAggPlusWorkflow` sends its stages."""

from flwr.app import Array, ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.app.message_type import MessageType
from flwr.client.mod import secaggplus_mod
from flwr.clientapp import ClientApp
from flwr.common import Code, EvaluateRes, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays
from flwr.common.secure_aggregation.secaggplus_constants import RECORD_KEY_CONFIGS
from flwr.compat.common import recorddict_compat as compat

from . import task


def secaggplus_when_asked(msg: Message, context: Context, call_next):
    """`secaggplus_mod` for SecAgg+ stage messages only (plain train messages pass through)."""
    if msg.metadata.message_type == MessageType.TRAIN and RECORD_KEY_CONFIGS in msg.content.config_records:
        return secaggplus_mod(msg, context, call_next)
    return call_next(msg, context)


app = ClientApp(mods=[secaggplus_when_asked])


def _data(context: Context):
    node = context.node_config
    return task.load_partition(str(context.run_config["data-dir"]), int(node.get("partition-id", 0)),
                               int(node.get("num-partitions", 1)), int(node.get("examples", 300)),
                               int(context.run_config["seed"]))


@app.train()
def train(msg: Message, context: Context) -> Message:
    x, y = _data(context)
    if "fitins.parameters" in msg.content.array_records:
        ins = compat.recorddict_to_fitins(msg.content, keep_input=True)
        arrays = dict(zip(task.NAMES, (a.copy() for a in parameters_to_ndarrays(ins.parameters))))
        config = ins.config
    else:
        arrays = {k: v.numpy().copy() for k, v in msg.content["arrays"].items()}
        config = msg.content["config"]
    loss = task.train(arrays, x, y, int(config["local-epochs"]), int(config["batch-size"]), float(config["lr"]),
                      float(config.get("proximal-mu", 0.0)), int(config["server-round"]))
    if "fitins.parameters" in msg.content.array_records:
        result = FitRes(Status(Code.OK, "Success"), ndarrays_to_parameters([arrays[n] for n in task.NAMES]), len(y),
                        {"train_loss": loss})
        return Message(content=compat.fitres_to_recorddict(result, keep_input=False), reply_to=msg)
    content = RecordDict({"arrays": ArrayRecord({k: Array(v) for k, v in arrays.items()}), "metrics": MetricRecord({"train_loss": loss, "num-examples": len(y)})})
    return Message(content=content, reply_to=msg)


@app.evaluate()
def evaluate(msg: Message, context: Context) -> Message:
    x, y = _data(context)
    if "evaluateins.parameters" in msg.content.array_records:
        ins = compat.recorddict_to_evaluateins(msg.content, keep_input=True)
        arrays = dict(zip(task.NAMES, parameters_to_ndarrays(ins.parameters)))
        loss, accuracy = task.evaluate(arrays, x, y)
        result = EvaluateRes(Status(Code.OK, "Success"), loss, len(y), {"eval_acc": accuracy})
        return Message(content=compat.evaluateres_to_recorddict(result), reply_to=msg)
    arrays = {k: v.numpy() for k, v in msg.content["arrays"].items()}
    loss, accuracy = task.evaluate(arrays, x, y)
    metrics = {"eval_loss": loss, "num-examples": len(y)}
    if str(context.run_config.get("evaluate-metrics", "eval_loss,eval_acc")) != "eval_loss":
        metrics["eval_acc"] = accuracy
    return Message(content=RecordDict({"metrics": MetricRecord(metrics)}), reply_to=msg)
