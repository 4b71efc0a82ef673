let ws = null, frames = [], buffers = [], last = 0, timer = 0;
function post() {
  timer = 0;
  if (!frames.length) return;
  const batch = frames, transfer = buffers;
  frames = [];
  buffers = [];
  last = performance.now();
  postMessage(batch, transfer);
}
function frame(data) {
  frames.push(data);
  if (typeof data !== "string") buffers.push(data);
  if (timer) return;
  const wait = last + 8 - performance.now();
  if (wait > 0) timer = setTimeout(post, wait);
  else post();
}
onmessage = (e) => {
  const m = e.data, rest = m.slice(1);
  if (m[0] === "o") {
    try {
      ws = new WebSocket(rest);
    } catch (_) {
      return postMessage(1006);
    }
    ws.binaryType = "arraybuffer";
    ws.onopen = () => postMessage(-1);
    ws.onmessage = (ev) => frame(ev.data);
    ws.onclose = (ev) => {
      clearTimeout(timer);
      post();
      postMessage(ev.code);
    };
  } else if (m[0] === "s") {
    if (ws && ws.readyState === 1) ws.send(rest);
  } else {
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.close();
    }
    close();
  }
};
