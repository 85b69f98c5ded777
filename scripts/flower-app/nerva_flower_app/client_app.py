"""The Python node: trains the numpy MLP on its Fashion-MNIST share (node config
`partition-id`, `num-partitions`, `examples`)."""

from flwr.app import Array, ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from . import task

app = ClientApp()


def _data(context: Context):
    node = context.node_config
    return task.load_partition(str(context.run_config["data-dir"]), int(node.get("partition-id", 0)),
                               int(node.get("num-partitions", 1)), int(node.get("examples", 300)),
                               int(context.run_config["seed"]))


@app.train()
def train(msg: Message, context: Context) -> Message:
    arrays = {k: v.numpy().copy() for k, v in msg.content["arrays"].items()}
    config = msg.content["config"]
    x, y = _data(context)
    loss = task.train(arrays, x, y, int(config["local-epochs"]), int(config["batch-size"]), float(config["lr"]),
                      float(config.get("proximal-mu", 0.0)), int(config["server-round"]))
    content = RecordDict({"arrays": ArrayRecord({k: Array(v) for k, v in arrays.items()}), "metrics": MetricRecord({"train_loss": loss, "num-examples": len(y)})})
    return Message(content=content, reply_to=msg)


@app.evaluate()
def evaluate(msg: Message, context: Context) -> Message:
    arrays = {k: v.numpy() for k, v in msg.content["arrays"].items()}
    x, y = _data(context)
    loss, accuracy = task.evaluate(arrays, x, y)
    metrics = MetricRecord({"eval_loss": loss, "eval_acc": accuracy, "num-examples": len(y)})
    return Message(content=RecordDict({"metrics": metrics}), reply_to=msg)
