#include "chorus/gateway/routes.hpp"

#include "chorus/core/ids.hpp"
#include "chorus/gateway/shard.hpp"
#include "chorus/gateway/static_files.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

namespace chorus::gateway {

namespace json = boost::json;

namespace {

http_reply json_reply(unsigned status, const json::value& v) {
  http_reply r;
  r.status = status;
  r.body = json::serialize(v);
  return r;
}

// The Go system's HTTP envelope: {"code":..,"msg":..,"data":..}.
http_reply go_reply(core::code c, std::string_view msg, json::value data) {
  return json_reply(c == core::code::ok ? 200 : 400,
                    json::object{{"code", static_cast<int>(c)}, {"msg", msg}, {"data", std::move(data)}});
}

http_reply text(unsigned status, std::string body, std::string type = "text/plain; charset=utf-8") {
  http_reply r;
  r.status = status;
  r.content_type = std::move(type);
  r.body = std::move(body);
  return r;
}

std::string param(const boost::urls::url_view& u, std::string_view name, std::string fallback = {}) {
  auto it = u.params().find(name);
  if (it == u.params().end() || !(*it).has_value) return fallback;
  return std::string((*it).value);
}

void user_list(context& ctx, const boost::urls::url_view& u, std::function<void(http_reply)> reply) {
  auto app = param(u, "appId", ctx.cfg.default_app_id);
  auto room = param(u, "groupsId");
  if (!core::valid_id(app) || !core::valid_id(room) || room == "0")
    return reply(go_reply(core::code::bad_parameter, "groupsId (and appId) must be valid ids", nullptr));
  ctx.chat.storage().room_members(app, room, [&ctx, app, reply = std::move(reply)](store::members_result r) {
    if (r.st != store::status::ok) return reply(go_reply(core::code::store_error, "store error", nullptr));
    auto online = ctx.chat.presence().online_among(app, r.users);
    json::array list(online.begin(), online.end());
    reply(go_reply(core::code::ok, "success",
                   json::object{{"userCount", online.size()}, {"userList", std::move(list)},
                                {"memberCount", r.users.size()}}));
  });
}

void groups_list(context& ctx, const boost::urls::url_view& u, std::function<void(http_reply)> reply) {
  auto app = param(u, "appId", ctx.cfg.default_app_id);
  if (!core::valid_id(app)) return reply(go_reply(core::code::bad_parameter, "appId must be a valid id", nullptr));
  ctx.chat.storage().rooms(app, [reply = std::move(reply)](store::rooms_result r) {
    if (r.st != store::status::ok) return reply(go_reply(core::code::store_error, "store error", nullptr));
    json::array list;
    for (auto& room : r.rooms) list.push_back(json::object{{"groupsId", room.room}, {"members", room.members}});
    reply(go_reply(core::code::ok, "success", json::object{{"groupsList", std::move(list)}}));
  });
}

void page(context& ctx, std::string_view file, std::function<void(http_reply)>& reply) {
  auto f = read_static(ctx.cfg.web_root, file);
  if (!f) return reply(text(404, "page not found: is --web-root right?\n"));
  auto r = text(200, std::move(f->body), std::move(f->content_type));
  reply(std::move(r));
}

void vendor(const std::string& root, std::string_view file, std::function<void(http_reply)>& reply) {
  auto f = read_static(root, file);
  if (!f) return reply(text(404, "not installed: run scripts/run, or apt-get install libjs-marked and npm ci --prefix web\n"));
  auto r = text(200, std::move(f->body), std::move(f->content_type));
  r.no_store = false;
  reply(std::move(r));
}

}  // namespace

void handle_http(context& ctx, const http_query& q, std::function<void(http_reply)> reply) {
  ctx.metrics.http_requests.Increment();
  auto parsed = boost::urls::parse_origin_form(q.target);
  if (!parsed) return reply(text(400, "bad request target\n"));
  auto u = *parsed;
  auto path = std::string(u.path());
  if (q.method != "GET" && q.method != "HEAD") return reply(text(405, "method not allowed\n"));

  if (path == "/healthz") return reply(text(200, "ok\n"));
  if (path == "/readyz") {
    if (!ctx.ready.load()) return reply(text(503, "not ready\n"));
    // Degraded (Redis down) still serves its own users: ready, and says so.
    return reply(text(200, "ready" + (ctx.health ? "; " + ctx.health() : std::string()) + "\n"));
  }
  if (path == "/metrics") {
    return reply(text(200, ctx.metrics.render(), "text/plain; version=0.0.4; charset=utf-8"));
  }
  if (path == "/user/list") return user_list(ctx, u, std::move(reply));
  if (path == "/user/groupslist") return groups_list(ctx, u, std::move(reply));
  // The web app's Markdown renderer, from Debian's libjs-marked, and its
  // sanitiser, DOMPurify from npm (web/package.json; Debian's 2.4.1 build
  // throws on every call with markup). scripts/run and scripts/test install both.
  if (path == "/vendor/marked.min.js") return vendor(ctx.cfg.vendor_root, "/javascript/marked/marked.min.js", reply);
  if (path == "/vendor/purify.min.js")
    return vendor(ctx.cfg.web_root, "/node_modules/dompurify/dist/purify.min.js", reply);
  // The Go system's pages open the web app, which reads the address
  // (app/session.js) to sign in and open that conversation.
  if (path == "/home/index" || path == "/home/room") return page(ctx, "/index.html", reply);

  auto f = read_static(ctx.cfg.web_root, path);
  if (!f) return reply(text(404, "not found\n"));
  auto r = text(200, std::move(f->body), std::move(f->content_type));
  r.no_store = false;
  reply(std::move(r));
}

}  // namespace chorus::gateway
