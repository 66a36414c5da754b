// W3C Trace Context (traceparent, tracestate), Baggage, and carriers.
#include <arbiter/tracing/baggage.hpp>
#include <arbiter/tracing/propagation.hpp>
#include <arbiter/tracing/trace_context.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using arbiter::parse_traceparent;

constexpr std::string_view valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

TEST(traceparent, valid_version_00) {
  const auto ctx = parse_traceparent(valid);
  ASSERT_TRUE(ctx);
  EXPECT_EQ(ctx->trace_id.to_string(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(ctx->span_id.to_string(), "b7ad6b7169203331");
  EXPECT_TRUE(ctx->sampled());
  EXPECT_TRUE(ctx->remote);
  EXPECT_EQ(arbiter::traceparent_string(*ctx), valid);
}

TEST(traceparent, not_sampled_and_random_flag_kept) {
  const auto unsampled = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  ASSERT_TRUE(unsampled);
  EXPECT_FALSE(unsampled->sampled());
  const auto random = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03");
  ASSERT_TRUE(random);
  EXPECT_EQ(random->flags, arbiter::trace_flags::sampled | arbiter::trace_flags::random);
  EXPECT_EQ(arbiter::traceparent_string(*random).substr(53), "03");
}

TEST(traceparent, reserved_flag_bits_are_sent_as_zero) {
  const auto ctx = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff");
  ASSERT_TRUE(ctx);
  EXPECT_TRUE(ctx->sampled());
  EXPECT_EQ(arbiter::traceparent_string(*ctx).substr(53), "03");
}

TEST(traceparent, surrounding_whitespace_is_http_ows) {
  EXPECT_TRUE(parse_traceparent(" \t00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 "));
}

TEST(traceparent, every_malformed_field_invalidates_the_header) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"", "empty"},
      {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0", "short flags"},
      {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-", "version 00 with extra text"},
      {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-011", "version 00 longer than 55"},
      {"00-00000000000000000000000000000000-b7ad6b7169203331-01", "all-zero trace id"},
      {"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", "all-zero parent id"},
      {"ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "version ff"},
      {"0g-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "non-hex version"},
      {"0A-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "uppercase version"},
      {"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", "uppercase trace id"},
      {"00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01", "uppercase parent id"},
      {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0X", "non-hex flags"},
      {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-Ab", "uppercase flags"},
      {"00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "wrong delimiter"},
      {"00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01", "wrong delimiter 2"},
      {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331_01", "wrong delimiter 3"},
      {"00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01-aa", "short trace id"},
      {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01x", "short parent id"},
      {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\n", "trailing control character"},
  };
  for (const auto& [header, why] : cases) EXPECT_FALSE(parse_traceparent(header)) << why << ": " << header;
}

TEST(traceparent, future_versions) {
  EXPECT_FALSE(parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0")) << "shorter than 55";
  const auto exact = parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  ASSERT_TRUE(exact) << "55 characters of a higher version";
  EXPECT_EQ(arbiter::traceparent_string(*exact), valid) << "re-emitted as version 00";
  const auto longer =
      parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-holds");
  ASSERT_TRUE(longer) << "the rest after a '-' is ignored";
  EXPECT_EQ(longer->span_id.to_string(), "b7ad6b7169203331");
  EXPECT_FALSE(parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01.what"))
      << "flags must be followed by the end or '-'";
  EXPECT_FALSE(parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0x-aa"))
      << "fields of a higher version still follow version 00's grammar";
}

TEST(tracestate, keys_and_values_follow_the_grammar) {
  EXPECT_TRUE(arbiter::valid_tracestate_key("congo"));
  EXPECT_TRUE(arbiter::valid_tracestate_key("a0_-*/z"));
  EXPECT_TRUE(arbiter::valid_tracestate_key("tenant1@system"));
  EXPECT_TRUE(arbiter::valid_tracestate_key("1tenant@sys"));
  EXPECT_TRUE(arbiter::valid_tracestate_key(std::string(256, 'a')));
  EXPECT_FALSE(arbiter::valid_tracestate_key(std::string(257, 'a')));
  EXPECT_TRUE(arbiter::valid_tracestate_key(std::string(241, 't') + "@" + std::string(14, 's')));
  EXPECT_FALSE(arbiter::valid_tracestate_key(std::string(242, 't') + "@s"));
  EXPECT_FALSE(arbiter::valid_tracestate_key("t@" + std::string(15, 's')));
  EXPECT_FALSE(arbiter::valid_tracestate_key("1simple")) << "a simple key starts with a letter";
  EXPECT_FALSE(arbiter::valid_tracestate_key("t@1sys")) << "a system id starts with a letter";
  EXPECT_FALSE(arbiter::valid_tracestate_key("Upper"));
  EXPECT_FALSE(arbiter::valid_tracestate_key("a@b@c"));
  EXPECT_FALSE(arbiter::valid_tracestate_key(""));
  EXPECT_FALSE(arbiter::valid_tracestate_key("@sys"));

  EXPECT_TRUE(arbiter::valid_tracestate_value("t61rcWkgMzE"));
  EXPECT_TRUE(arbiter::valid_tracestate_value(" leading space ok"));
  EXPECT_TRUE(arbiter::valid_tracestate_value(std::string(256, 'v')));
  EXPECT_FALSE(arbiter::valid_tracestate_value(std::string(257, 'v')));
  EXPECT_FALSE(arbiter::valid_tracestate_value("trailing "));
  EXPECT_FALSE(arbiter::valid_tracestate_value("a,b"));
  EXPECT_FALSE(arbiter::valid_tracestate_value("a=b"));
  EXPECT_FALSE(arbiter::valid_tracestate_value("tab\there"));
  EXPECT_FALSE(arbiter::valid_tracestate_value(""));
}

TEST(tracestate, parses_with_whitespace_and_empty_members) {
  const auto state = arbiter::trace_state::parse("rojo=00f067aa0ba902b7 ,\t, congo=t61rcWkgMzE,,");
  ASSERT_TRUE(state);
  ASSERT_EQ(state->size(), 2U);
  EXPECT_EQ(state->entries()[0].first, "rojo");
  EXPECT_EQ(state->get("congo"), "t61rcWkgMzE");
  EXPECT_EQ(state->to_header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
}

TEST(tracestate, several_headers_combine_in_order) {
  const auto state = arbiter::trace_state::parse(std::vector<std::string_view>{"a=1,b=2", "c=3"});
  ASSERT_TRUE(state);
  EXPECT_EQ(state->to_header(), "a=1,b=2,c=3");
}

TEST(tracestate, invalid_member_duplicate_key_or_too_many_drop_it_whole) {
  EXPECT_FALSE(arbiter::trace_state::parse("a=1,B=2"));
  EXPECT_FALSE(arbiter::trace_state::parse("a=1,novalue"));
  EXPECT_FALSE(arbiter::trace_state::parse("a=1,b="));
  EXPECT_FALSE(arbiter::trace_state::parse("a=1,a=2"));
  std::string members;
  for (int i = 0; i < 32; ++i) members.append("k").append(std::to_string(i)).append("=v,");
  EXPECT_TRUE(arbiter::trace_state::parse(members)) << "32 members are allowed";
  EXPECT_FALSE(arbiter::trace_state::parse(members + "k32=v")) << "33 are not";
}

// valid_tracestate_header (the check of a tracestate given as text) accepts exactly what parse() accepts: the
// cases above, then random headers from a small alphabet of the grammar's edges.
TEST(tracestate, the_header_check_agrees_with_parse) {
  std::vector<std::string> cases = {"",
                                    " ",
                                    ",",
                                    "a=1",
                                    "rojo=00f067aa0ba902b7 ,\t, congo=t61rcWkgMzE,,",
                                    "a=1,B=2",
                                    "a=1,novalue",
                                    "a=1,b=",
                                    "a=1,a=2",
                                    "a=1, a=2",
                                    "a=1,b=2,a=3",
                                    "t@v=1,t@w=1",
                                    "t@v=1,t@v=2",
                                    "a=1\r\nb=2",
                                    "a= 1",
                                    "a=1 ",
                                    "a=x=y",
                                    "=1",
                                    "a@=1"};
  std::string members;
  for (int i = 0; i < 32; ++i) members.append("k").append(std::to_string(i)).append("=v,");
  cases.push_back(members);
  cases.push_back(members + "k32=v");
  cases.push_back(members + "k0=w");
  std::uint64_t seed = 0x9e3779b97f4a7c15ULL;
  constexpr std::string_view alphabet = "ab1@=, \t\nZ*";
  for (int n = 0; n < 20'000; ++n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    std::string text;
    for (auto bits = seed, left = (seed >> 59) + 1; left > 0; --left, bits >>= 4)
      text += alphabet[bits % alphabet.size()];
    cases.push_back(text);
  }
  std::size_t accepted = 0;
  for (const auto& text : cases) {
    const bool parsed = arbiter::trace_state::parse(text).has_value();
    ASSERT_EQ(arbiter::valid_tracestate_header(text), parsed) << '"' << text << '"';
    accepted += parsed ? 1 : 0;
  }
  EXPECT_GT(accepted, 100U) << "the random headers must reach both answers";
  static_assert(arbiter::valid_tracestate_header("a=1,b=2") && !arbiter::valid_tracestate_header("a=1\n"));
}

TEST(tracestate, updated_key_moves_to_the_front_and_full_list_drops_the_rightmost) {
  auto state = *arbiter::trace_state::parse("a=1,b=2,c=3");
  EXPECT_TRUE(state.put("c", "9"));
  EXPECT_EQ(state.to_header(), "c=9,a=1,b=2");
  EXPECT_TRUE(state.put("new", "x"));
  EXPECT_EQ(state.entries().front().first, "new");
  EXPECT_FALSE(state.put("Bad", "x"));
  EXPECT_FALSE(state.put("ok", "bad,value"));
  EXPECT_EQ(state.size(), 4U) << "a rejected put changes nothing";
  arbiter::trace_state full;
  for (int i = 0; i < 32; ++i) full.put(std::string("k").append(std::to_string(i)), "v");
  EXPECT_EQ(full.entries().back().first, "k0");
  full.put("latest", "v");
  EXPECT_EQ(full.size(), 32U);
  EXPECT_EQ(full.entries().back().first, "k1") << "the rightmost (oldest) member went";
}

TEST(tracestate, truncation_drops_long_entries_first_then_rightmost) {
  arbiter::trace_state state;
  state.put("tail", "t");
  state.put("long", std::string(200, 'x'));
  state.put("mid", std::string(100, 'm'));
  state.put("head", "h");
  // head=h, mid=<100>, long=<200>, tail=t: 6 + 104 + 205 + 6 + 3 commas = 324
  EXPECT_EQ(state.to_header(512).size(), 324U);
  const std::string cut = state.to_header(200);
  EXPECT_EQ(cut, "head=h,mid=" + std::string(100, 'm') + ",tail=t") << "the entry over 128 characters went first";
  EXPECT_EQ(state.to_header(20), "head=h") << "then whole entries from the right";
}

TEST(baggage, parses_decodes_and_keeps_properties) {
  const auto bag = arbiter::baggage::parse(" userId = alice , serverNode=DF%2028,isProduction=false;ttl=5 ");
  ASSERT_EQ(bag.size(), 3U);
  EXPECT_EQ(bag.get("userId"), "alice");
  EXPECT_EQ(bag.get("serverNode"), "DF 28");
  EXPECT_EQ(bag.entries()[2].properties, "ttl=5");
}

TEST(baggage, invalid_members_are_skipped_and_the_rest_kept) {
  const auto bag = arbiter::baggage::parse("good=1,bad key=2,noeq,ok=3,broken=%zz,quote=\"x\"");
  EXPECT_EQ(bag.size(), 2U);
  EXPECT_EQ(bag.get("good"), "1");
  EXPECT_EQ(bag.get("ok"), "3");
}

TEST(baggage, round_trips_through_percent_encoding) {
  arbiter::baggage bag;
  EXPECT_TRUE(bag.set("user", "Ada Lovelace, 100%; \"x\""));
  EXPECT_FALSE(bag.set("bad key", "v"));
  const std::string header = bag.to_header();
  EXPECT_EQ(header.find(' '), std::string::npos);
  EXPECT_EQ(arbiter::baggage::parse(header), bag);
}

TEST(propagation, round_trip_through_a_header_map) {
  arbiter::span_context ctx{arbiter::trace_id::generate(), arbiter::span_id::generate(), arbiter::trace_flags::sampled,
                            false};
  auto state = *arbiter::trace_state::parse("vendor=abc");
  std::map<std::string, std::string> headers;
  arbiter::inject_trace_context(headers, ctx, state);
  EXPECT_EQ(headers.at("traceparent").size(), 55U);
  EXPECT_EQ(headers.at("tracestate"), "vendor=abc");
  const auto extracted = arbiter::extract_trace_context(headers);
  EXPECT_EQ(extracted.context.trace_id, ctx.trace_id);
  EXPECT_EQ(extracted.context.span_id, ctx.span_id);
  EXPECT_TRUE(extracted.context.sampled());
  EXPECT_TRUE(extracted.context.remote);
  EXPECT_EQ(extracted.state, state);
}

TEST(propagation, header_names_match_case_insensitively_and_inject_replaces) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Traceparent", std::string(valid)}, {"TraceState", "a=1"}, {"tracestate", "b=2"}, {"Baggage", "k=v"}};
  const auto extracted = arbiter::extract_trace_context(headers);
  ASSERT_TRUE(extracted.context.valid());
  EXPECT_EQ(extracted.state.to_header(), "a=1,b=2");
  EXPECT_EQ(arbiter::extract_baggage(headers).get("k"), "v");
  arbiter::inject_trace_context(headers, arbiter::span_context{extracted.context.trace_id, arbiter::span_id{7}, 0});
  std::size_t parents = 0;
  for (const auto& [k, v] : headers) parents += arbiter::detail::iequals(k, "traceparent") ? 1U : 0U;
  EXPECT_EQ(parents, 1U) << "the old Traceparent was replaced";
}

TEST(propagation, invalid_or_repeated_traceparent_starts_a_new_trace_and_ignores_tracestate) {
  std::multimap<std::string, std::string> metadata = {{"traceparent", "00-bad"}, {"tracestate", "a=1"}};
  auto extracted = arbiter::extract_trace_context(metadata);
  EXPECT_FALSE(extracted.context.valid());
  EXPECT_TRUE(extracted.state.empty());
  metadata = {{"traceparent", std::string(valid)}, {"traceparent", std::string(valid)}};
  EXPECT_FALSE(arbiter::extract_trace_context(metadata).context.valid());
}

TEST(propagation, valid_traceparent_survives_an_invalid_tracestate) {
  const std::unordered_map<std::string, std::string> headers = {{"traceparent", std::string(valid)},
                                                                {"tracestate", "a=1,INVALID=2"}};
  const auto extracted = arbiter::extract_trace_context(headers);
  EXPECT_TRUE(extracted.context.valid());
  EXPECT_TRUE(extracted.state.empty());
}

/// A carrier with its own interface, like a gRPC ClientContext / ServerContext pair.
struct grpc_like_metadata {
  std::multimap<std::string, std::string> entries;
  void set(std::string_view key, std::string_view value) { entries.emplace(key, value); }
  template <class F>
  void for_each_value(std::string_view key, F f) const {
    const auto [first, last] = entries.equal_range(std::string(key));
    for (auto it = first; it != last; ++it) f(std::string_view(it->second));
  }
};

TEST(propagation, custom_carriers_through_set_and_for_each_value) {
  static_assert(arbiter::text_map_reader<grpc_like_metadata> && arbiter::text_map_writer<grpc_like_metadata>);
  grpc_like_metadata metadata;
  const arbiter::span_context ctx{arbiter::trace_id::generate(), arbiter::span_id::generate(), 0, false};
  arbiter::inject_trace_context(metadata, ctx);
  arbiter::baggage bag;
  bag.set("tenant", "acme");
  arbiter::inject_baggage(metadata, bag);
  const auto extracted = arbiter::extract_trace_context(metadata);
  EXPECT_EQ(extracted.context.span_id, ctx.span_id);
  EXPECT_FALSE(extracted.context.sampled());
  EXPECT_EQ(arbiter::extract_baggage(metadata).get("tenant"), "acme");
}

TEST(propagation, invalid_context_injects_nothing) {
  std::map<std::string, std::string> headers;
  arbiter::inject_trace_context(headers, arbiter::span_context{});
  arbiter::inject_baggage(headers, arbiter::baggage{});
  EXPECT_TRUE(headers.empty());
}

}  // namespace
