"""Run inside the tritonclient venv: drive a server with tritonclient.http's defaults.

stdin: {"url": "127.0.0.1:PORT", "model": NAME, "rows": [[...]], "columns": [...]};
stdout (last line): JSON of what the client saw.
"""

import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException


def main() -> None:
    args = json.load(sys.stdin)
    name = args["model"]
    client = httpclient.InferenceServerClient(url=args["url"])
    x = np.asarray(args["rows"], dtype=np.float64)
    out = {
        "live": client.is_server_live(),
        "ready": client.is_server_ready(),
        "model_ready": client.is_model_ready(name),
        "server": client.get_server_metadata(),
        "metadata": client.get_model_metadata(name),
    }
    matrix = httpclient.InferInput("input", list(x.shape), "FP64")
    matrix.set_data_from_numpy(x)  # binary_data=True: the default
    result = client.infer(name, [matrix])  # no outputs named: all of them in binary
    out["binary"] = {
        "label": result.as_numpy("label").tolist(),
        "proba": result.as_numpy("proba").tolist(),
    }
    wanted = [httpclient.InferRequestedOutput("proba", binary_data=False)]
    result = client.infer(name, [matrix], outputs=wanted, request_id="client-7")
    response = result.get_response()
    out["json"] = {
        "id": response["id"],
        "names": [o["name"] for o in response["outputs"]],
        "proba": result.as_numpy("proba").tolist(),
    }
    cols = []
    for j, column in enumerate(args["columns"]):
        tensor = httpclient.InferInput(column, [len(x)], "FP64")
        tensor.set_data_from_numpy(np.ascontiguousarray(x[:, j]))
        cols.append(tensor)
    result = client.infer(name, cols, outputs=[httpclient.InferRequestedOutput("label")])
    out["columns"] = {"label": result.as_numpy("label").tolist()}
    narrow = httpclient.InferInput("input", [len(x), x.shape[1] - 1], "FP64")
    narrow.set_data_from_numpy(np.ascontiguousarray(x[:, 1:]))
    try:
        client.infer(name, [narrow])
        out["malformed"] = None
    except InferenceServerException as exc:
        out["malformed"] = {"status": exc.status(), "message": exc.message()}
    print(json.dumps(out))


main()
