// An independent ActivityPub server for the interop test (services/
// activitypub_interop_test.go, docs/federation.md): Fedify (@fedify/fedify,
// installed by the test under .cache/fedify — a test tool, never part of
// the product) serving one actor, "peer", on 127.0.0.1:$PORT. Fedify checks
// every incoming signature itself (its inbox listeners only see verified
// activities) and signs everything it sends.
//
// Control endpoints for the test (not ActivityPub):
//   GET  /_ctl/log                 what the inbox received, as JSON
//   POST /_ctl/follow?actor=URL    send a Follow to URL
//   POST /_ctl/unfollow?actor=URL  send Undo{Follow}
//   POST /_ctl/note?text=…         send Create{Note} to the followers
import http from "node:http";
import {
  Accept, Announce, Create, Endpoints, Follow, Like, MemoryKvStore, Note, Person, Undo,
  createFederation, generateCryptoKeyPair,
} from "@fedify/fedify";
import { configure, getConsoleSink } from "@logtape/logtape";

// FEDIFY_LOG=debug|info|warning: Fedify's own log on the console (the test
// prints it when it fails).
if (process.env.FEDIFY_LOG) {
  await configure({
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: "fedify", lowestLevel: process.env.FEDIFY_LOG, sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}

const port = Number(process.env.PORT);
const origin = `http://127.0.0.1:${port}`;
const log = [];
const followers = new Map(); // actor id -> actor
const follows = new Map(); // target actor id -> our Follow
const keys = [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5")];

// allowPrivateAddress: the other side is on 127.0.0.1 too.
const federation = createFederation({ kv: new MemoryKvStore(), allowPrivateAddress: true });

federation.setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
  if (identifier !== "peer") return null;
  const pairs = await ctx.getActorKeyPairs(identifier);
  return new Person({
    id: ctx.getActorUri(identifier),
    preferredUsername: identifier,
    name: "Fedify peer",
    inbox: ctx.getInboxUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: pairs[0].cryptographicKey,
    assertionMethods: pairs.map((p) => p.multikey),
  });
}).setKeyPairsDispatcher(async (ctx, identifier) => (identifier === "peer" ? keys : []));

const record = (type, activity, extra = {}) =>
  log.push({ type, id: activity.id?.href, actor: activity.actorId?.href, ...extra });

federation.setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    const actor = await follow.getActor(ctx);
    record("Follow", follow, { object: follow.objectId?.href });
    followers.set(actor.id.href, actor);
    await ctx.sendActivity({ identifier: "peer" }, actor, new Accept({
      id: new URL(`${origin}/accepts/${crypto.randomUUID()}`),
      actor: ctx.getActorUri("peer"),
      object: follow,
    }));
  })
  .on(Accept, async (ctx, accept) => record("Accept", accept))
  .on(Undo, async (ctx, undo) => {
    const object = await undo.getObject(ctx);
    record("Undo", undo, { objectType: object?.constructor?.name });
    if (object instanceof Follow) followers.delete(undo.actorId.href);
  })
  .on(Create, async (ctx, create) => {
    const object = await create.getObject(ctx);
    record("Create", create, {
      objectType: object?.constructor?.name,
      objectId: object?.id?.href,
      name: object?.name?.toString(),
      content: object?.content?.toString(),
    });
  })
  .on(Like, async (ctx, like) => record("Like", like, { object: like.objectId?.href }))
  .on(Announce, async (ctx, a) => record("Announce", a, { object: a.objectId?.href }));

async function control(url) {
  const ctx = federation.createContext(new URL(origin), undefined);
  const me = ctx.getActorUri("peer");
  if (url.pathname === "/_ctl/follow" || url.pathname === "/_ctl/unfollow") {
    const target = await ctx.lookupObject(url.searchParams.get("actor"));
    if (!target?.id) return { error: "no such actor" };
    if (url.pathname === "/_ctl/follow") {
      const follow = new Follow({ id: new URL(`${origin}/follows/${crypto.randomUUID()}`), actor: me, object: target.id });
      follows.set(target.id.href, follow);
      await ctx.sendActivity({ identifier: "peer" }, target, follow);
      return { sent: follow.id.href };
    }
    const follow = follows.get(target.id.href);
    const undo = new Undo({ id: new URL(`${origin}/undos/${crypto.randomUUID()}`), actor: me, object: follow });
    await ctx.sendActivity({ identifier: "peer" }, target, undo);
    return { sent: undo.id.href };
  }
  if (url.pathname === "/_ctl/note") {
    const id = new URL(`${origin}/notes/${crypto.randomUUID()}`);
    const note = new Note({ id, attribution: me, content: url.searchParams.get("text") });
    const create = new Create({ id: new URL(id.href + "/activity"), actor: me, object: note });
    for (const f of followers.values()) await ctx.sendActivity({ identifier: "peer" }, f, create);
    return { sent: create.id.href, note: id.href, followers: followers.size };
  }
  return null;
}

http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, origin);
    if (url.pathname === "/_ctl/log") {
      res.setHeader("Content-Type", "application/json");
      return res.end(JSON.stringify(log));
    }
    if (url.pathname.startsWith("/_ctl/")) {
      const out = await control(url);
      res.setHeader("Content-Type", "application/json");
      res.statusCode = out ? (out.error ? 404 : 200) : 404;
      return res.end(JSON.stringify(out ?? { error: "unknown" }));
    }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const request = new Request(url, { method: req.method, headers: req.headers, body: req.method === "GET" || req.method === "HEAD" ? undefined : body });
    const response = await federation.fetch(request, { contextData: undefined });
    res.statusCode = response.status;
    response.headers.forEach((v, k) => res.setHeader(k, v));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (e) {
    console.error(e);
    res.statusCode = 500;
    res.end(String(e));
  }
}).listen(port, "127.0.0.1", () => console.log(`fedify peer on ${origin}`));
