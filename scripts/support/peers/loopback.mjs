// Preloaded into the peer gateways (node --import): a server that asks to
// listen on a port without a host gets 127.0.0.1 instead of every interface,
// so the benchmark's peers are reachable on loopback only.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" && (args[1] === undefined || typeof args[1] === "function")) {
    return listen.call(this, args[0], "127.0.0.1", ...args.slice(args[1] === undefined ? 2 : 1));
  }
  if (args[0] && typeof args[0] === "object" && args[0].port !== undefined && !args[0].host) {
    return listen.call(this, { ...args[0], host: "127.0.0.1" }, ...args.slice(1));
  }
  return listen.apply(this, args);
};
