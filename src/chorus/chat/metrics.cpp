#include "chorus/chat/metrics.hpp"

namespace chorus::chat {

namespace {
template <class T>
void series(std::string& out, const char* name, const char* type, const char* help, const T& v) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(std::to_string(v.load(std::memory_order_relaxed))).append("\n");
}
}  // namespace

void metrics::render(std::string& out) const {
  series(out, "chorus_connections", "gauge", "Open WebSocket sessions.", connections);
  series(out, "chorus_connections_total", "counter", "WebSocket sessions opened.", connections_total);
  series(out, "chorus_http_requests_total", "counter", "HTTP requests served.", http_requests);
  series(out, "chorus_frames_in_total", "counter", "WebSocket frames received.", frames_in);
  series(out, "chorus_frames_out_total", "counter", "WebSocket frames written.", frames_out);
  series(out, "chorus_messages_stored_total", "counter", "Messages stored (accepted sendmsg).", messages_stored);
  series(out, "chorus_messages_duplicate_total", "counter", "sendmsg retries answered from the store.", messages_duplicate);
  series(out, "chorus_pushes_total", "counter", "Message and event pushes queued to sessions.", pushes);
  series(out, "chorus_sync_messages_total", "counter", "Messages delivered by sync.", sync_messages);
  series(out, "chorus_errors_total", "counter", "Error responses sent.", errors);
  series(out, "chorus_rate_limited_total", "counter", "Frames refused by the rate limit.", rate_limited);
  series(out, "chorus_slow_consumer_closes_total", "counter", "Sessions closed for an overflowing send queue.", slow_consumer_closes);
  series(out, "chorus_idle_closes_total", "counter", "Sessions closed by the idle or login timeout.", idle_closes);
  series(out, "chorus_accept_errors_total", "counter", "Failed accepts (e.g. out of file descriptors).", accept_errors);
}

}  // namespace chorus::chat
