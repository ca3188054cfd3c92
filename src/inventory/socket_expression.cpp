#include "portkit/inventory/socket_expression.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <variant>

#include "portkit/inventory/sockets.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit {

enum class Compare : std::uint8_t { equal, not_equal, less, less_equal, greater, greater_equal };

struct PortTest {
  bool local = true;  // sport; else dport
  Compare compare = Compare::equal;
  std::uint16_t port = 0;
};

struct AddressTest {
  bool local = true;                 // src; else dst
  std::optional<IpAddress> address;  // none: any address ("*")
  int prefix = -1;                   // -1: the whole address
  std::optional<std::uint16_t> port;
};

struct StateTest {
  std::uint32_t states = 0;  // bit per SocketState
};

struct EitherPortTest {
  std::vector<PortRange> ranges;
};

struct SocketExpression {
  enum class Kind : std::uint8_t { test, all_of, any_of, negation };
  Kind kind = Kind::test;
  std::variant<PortTest, AddressTest, StateTest, EitherPortTest> test;
  std::vector<std::shared_ptr<const SocketExpression>> children;
};

namespace {

using Node = std::shared_ptr<const SocketExpression>;

// "sport=:22)" into "sport", "=", ":22", ")": brackets and runs of = ! < > are tokens of
// their own, so spaces around them are optional, as in ss.
std::vector<std::string> tokenize(std::span<const std::string> words) {
  std::vector<std::string> tokens;
  const auto is_operator = [](char c) { return c == '=' || c == '!' || c == '<' || c == '>'; };
  for (const auto& word : words) {
    std::size_t at = 0;
    while (at < word.size()) {
      const char c = word[at];
      if (c == ' ' || c == '\t') {
        ++at;
      } else if (c == '(' || c == ')') {
        tokens.emplace_back(1, c);
        ++at;
      } else if (is_operator(c)) {
        const auto start = at;
        while (at < word.size() && is_operator(word[at])) ++at;
        tokens.push_back(word.substr(start, at - start));
      } else {
        const auto start = at;
        while (at < word.size() && word[at] != ' ' && word[at] != '\t' && word[at] != '(' &&
               word[at] != ')' && !is_operator(word[at])) {
          ++at;
        }
        tokens.push_back(word.substr(start, at - start));
      }
    }
  }
  return tokens;
}

std::optional<Compare> comparison(std::string_view word) {
  if (word == "=" || word == "==" || word == "eq") return Compare::equal;
  if (word == "!=" || word == "ne" || word == "neq") return Compare::not_equal;
  if (word == "<" || word == "lt") return Compare::less;
  if (word == "<=" || word == "le") return Compare::less_equal;
  if (word == ">" || word == "gt") return Compare::greater;
  if (word == ">=" || word == "ge") return Compare::greater_equal;
  return std::nullopt;
}

Result<std::uint16_t> port_value(std::string_view text) {
  if (!text.empty() && text.front() == ':') text.remove_prefix(1);
  auto port = parse_single_port(text, {.allow_zero = true});
  if (!port) return make_error(fmt::format("'{}' is not a port", text));
  return port->port;
}

// ADDRESS[/PREFIX][:PORT], [V6][/PREFIX][:PORT], *:PORT, :PORT.
Result<AddressTest> address_test(std::string_view text, bool local) {
  AddressTest test;
  test.local = local;
  std::string_view address = text;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return make_error(fmt::format("'{}' lacks ']'", text));
    address = text.substr(1, close - 1);
    rest = text.substr(close + 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const auto colon = text.find(':');
    address = text.substr(0, colon);
    rest = text.substr(colon);
  }
  // A prefix is written after the address, inside or outside the brackets.
  const auto read_prefix = [&](std::string_view digits) -> Result<bool> {
    if (digits.empty() || digits.size() > 3 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return make_error(fmt::format("bad prefix in '{}'", text));
    }
    test.prefix = std::stoi(std::string(digits));
    return true;
  };
  if (const auto slash = address.find('/'); slash != std::string_view::npos) {
    if (auto done = read_prefix(address.substr(slash + 1)); !done) return done.error();
    address = address.substr(0, slash);
  } else if (!rest.empty() && rest.front() == '/') {
    const auto colon = rest.find(':');
    if (auto done =
            read_prefix(rest.substr(1, colon == std::string_view::npos ? colon : colon - 1));
        !done) {
      return done.error();
    }
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
  }
  if (!rest.empty()) {
    if (rest.front() != ':') return make_error(fmt::format("'{}' is not an address", text));
    auto port = port_value(rest);
    if (!port) return port.error();
    test.port = *port;
  }
  if (!address.empty() && address != "*") {
    test.address = parse_ip_address(address);
    if (!test.address) return make_error(fmt::format("'{}' is not an address", text));
    if (test.prefix > (test.address->is_v6 ? 128 : 32)) {
      return make_error(fmt::format("prefix too long in '{}'", text));
    }
  }
  return test;
}

Node leaf(decltype(SocketExpression::test) test) {
  auto node = std::make_shared<SocketExpression>();
  node->test = std::move(test);
  return node;
}

Node combine(SocketExpression::Kind kind, std::vector<Node> children) {
  auto node = std::make_shared<SocketExpression>();
  node->kind = kind;
  node->children = std::move(children);
  return node;
}

class Parser {
 public:
  explicit Parser(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}

  Result<Node> parse() {
    if (tokens_.empty()) return make_error("empty filter");
    auto node = parse_or();
    if (!node) return node;
    if (at_ < tokens_.size()) return make_error(fmt::format("unexpected '{}'", tokens_[at_]));
    return node;
  }

 private:
  [[nodiscard]] bool next_is(std::string_view word) const {
    return at_ < tokens_.size() && tokens_[at_] == word;
  }

  Result<Node> parse_or() {
    std::vector<Node> children;
    while (true) {
      auto child = parse_and();
      if (!child) return child;
      children.push_back(*child);
      if (!next_is("or") && !next_is("||") && !next_is("|")) break;
      ++at_;
    }
    return children.size() == 1 ? children.front()
                                : combine(SocketExpression::Kind::any_of, std::move(children));
  }

  Result<Node> parse_and() {
    std::vector<Node> children;
    while (true) {
      auto child = parse_not();
      if (!child) return child;
      children.push_back(*child);
      if (next_is("and") || next_is("&&") || next_is("&")) {
        ++at_;
        continue;
      }
      // Juxtaposition is "and", as in ss: "state established ( sport = :22 )".
      if (at_ < tokens_.size() && !next_is(")") && !next_is("or") && !next_is("||") &&
          !next_is("|")) {
        continue;
      }
      break;
    }
    return children.size() == 1 ? children.front()
                                : combine(SocketExpression::Kind::all_of, std::move(children));
  }

  // Nesting is bounded: a hostile filter of a million "(" or "not" must not exhaust the stack.
  static constexpr int kMaxDepth = 64;

  Result<Node> parse_not() {
    if (next_is("not") || next_is("!")) {
      ++at_;
      if (++depth_ > kMaxDepth) return make_error("the filter nests too deeply");
      auto child = parse_not();
      --depth_;
      if (!child) return child;
      return combine(SocketExpression::Kind::negation, {*child});
    }
    return parse_primary();
  }

  Result<std::string> take(std::string_view after) {
    if (at_ >= tokens_.size()) return make_error(fmt::format("'{}' needs a value", after));
    return tokens_[at_++];
  }

  Result<Node> parse_primary() {
    if (at_ >= tokens_.size()) return make_error("the filter ends too early");
    const auto word = tokens_[at_++];
    if (word == "(") {
      if (++depth_ > kMaxDepth) return make_error("the filter nests too deeply");
      auto inner = parse_or();
      --depth_;
      if (!inner) return inner;
      if (!next_is(")")) return make_error("'(' without ')'");
      ++at_;
      return inner;
    }
    if (word == ")") return make_error("')' without '('");
    if (word == "sport" || word == "dport") {
      PortTest test;
      test.local = word == "sport";
      if (at_ < tokens_.size()) {
        if (const auto compare = comparison(tokens_[at_])) {
          test.compare = *compare;
          ++at_;
        }
      }
      auto value = take(word);
      if (!value) return value.error();
      auto port = port_value(*value);
      if (!port) return make_error(word + ": " + port.error().message);
      test.port = *port;
      return leaf(test);
    }
    if (word == "src" || word == "dst") {
      if (at_ < tokens_.size() && comparison(tokens_[at_]) == Compare::equal) ++at_;
      auto value = take(word);
      if (!value) return value.error();
      auto test = address_test(*value, word == "src");
      if (!test) return make_error(word + ": " + test.error().message);
      return leaf(*test);
    }
    if (word == "state") {
      auto value = take(word);
      if (!value) return value.error();
      auto states = parse_state_filter(*value);
      if (!states) return make_error("state: " + states.error().message);
      return leaf(StateTest{*states});
    }
    auto spec = parse_port_spec(word, {.allow_zero = true});
    if (!spec) {
      return make_error(fmt::format(
          "'{}' is not a filter word (sport, dport, src, dst, state, and, or, not, a port)", word));
    }
    EitherPortTest test;
    for (const auto& item : spec->items) test.ranges.push_back(item.ports);
    return leaf(test);
  }

  std::vector<std::string> tokens_;
  std::size_t at_ = 0;
  int depth_ = 0;
};

bool compare_ports(Compare compare, std::uint16_t have, std::uint16_t want) {
  switch (compare) {
    case Compare::equal:
      return have == want;
    case Compare::not_equal:
      return have != want;
    case Compare::less:
      return have < want;
    case Compare::less_equal:
      return have <= want;
    case Compare::greater:
      return have > want;
    case Compare::greater_equal:
      return have >= want;
  }
  return false;
}

bool in_prefix(const IpAddress& have, const IpAddress& want, int prefix) {
  if (have.is_v6 != want.is_v6) return false;
  const int bits = prefix < 0 ? (want.is_v6 ? 128 : 32) : prefix;
  for (int bit = 0; bit < bits; ++bit) {
    const auto byte = static_cast<std::size_t>(bit / 8);
    const auto mask = static_cast<std::uint8_t>(0x80U >> (bit % 8));
    if ((have.bytes[byte] & mask) != (want.bytes[byte] & mask)) return false;
  }
  return true;
}

bool test_matches(const PortTest& test, const SocketRecord& socket) {
  return compare_ports(test.compare, test.local ? socket.local_port : socket.peer_port, test.port);
}

bool test_matches(const AddressTest& test, const SocketRecord& socket) {
  const auto& address = test.local ? socket.local : socket.peer;
  const auto port = test.local ? socket.local_port : socket.peer_port;
  if (test.port && port != *test.port) return false;
  return !test.address || in_prefix(address, *test.address, test.prefix);
}

bool test_matches(const StateTest& test, const SocketRecord& socket) {
  return (test.states & (1U << static_cast<unsigned>(socket.state))) != 0;
}

bool test_matches(const EitherPortTest& test, const SocketRecord& socket) {
  return std::any_of(test.ranges.begin(), test.ranges.end(), [&](const PortRange& range) {
    return range.contains(socket.local_port) || range.contains(socket.peer_port);
  });
}

// A compiled part: the bytecode, and whether it accepts exactly the sockets the part matches
// (else it accepts more; only an exact part may be negated).
struct Compiled {
  diag_bytecode::Program program;
  bool exact = true;
};

std::optional<Compiled> compile(const SocketExpression& node);

using Join = std::optional<diag_bytecode::Program> (*)(const diag_bytecode::Program&,
                                                       const diag_bytecode::Program&);

// Joins `part` onto `into` (the first part starts it); false when the program outgrows the
// jumps' reach.
bool fold(std::optional<Compiled>& into, Compiled part, Join join) {
  if (!into) {
    into = std::move(part);
    return true;
  }
  auto joined = join(into->program, part.program);
  if (!joined) return false;
  into->program = std::move(*joined);
  into->exact = into->exact && part.exact;
  return true;
}

std::optional<Compiled> compile_port(diag_bytecode::End end, Compare compare, std::uint16_t port) {
  using diag_bytecode::PortOp;
  const auto condition = [&](PortOp op) { return diag_bytecode::port_condition(end, op, port); };
  std::optional<diag_bytecode::Program> program;
  switch (compare) {
    case Compare::equal:
      program = condition(PortOp::equal);
      break;
    case Compare::not_equal:
      program = diag_bytecode::negation(condition(PortOp::equal));
      break;
    case Compare::less:
      program = diag_bytecode::negation(condition(PortOp::at_least));
      break;
    case Compare::less_equal:
      program = condition(PortOp::at_most);
      break;
    case Compare::greater:
      program = diag_bytecode::negation(condition(PortOp::at_most));
      break;
    case Compare::greater_equal:
      program = condition(PortOp::at_least);
      break;
  }
  if (!program) return std::nullopt;
  return Compiled{std::move(*program)};
}

std::optional<Compiled> compile_range(diag_bytecode::End end, const PortRange& range) {
  if (range.low == range.high) return compile_port(end, Compare::equal, range.low);
  auto low = compile_port(end, Compare::greater_equal, range.low);
  auto high = compile_port(end, Compare::less_equal, range.high);
  auto both = diag_bytecode::all_of(low->program, high->program);
  if (!both) return std::nullopt;
  return Compiled{std::move(*both)};
}

std::optional<Compiled> compile_test(const SocketExpression& node) {
  using diag_bytecode::End;
  if (const auto* port = std::get_if<PortTest>(&node.test)) {
    return compile_port(port->local ? End::local : End::peer, port->compare, port->port);
  }
  if (const auto* address = std::get_if<AddressTest>(&node.test)) {
    // "src *:443" is a port test; an address is left to user space.
    if (address->address || !address->port) return std::nullopt;
    return compile_port(address->local ? End::local : End::peer, Compare::equal, *address->port);
  }
  if (const auto* either = std::get_if<EitherPortTest>(&node.test)) {
    std::optional<Compiled> any;
    for (const auto& range : either->ranges) {
      for (const auto end : {End::local, End::peer}) {
        auto part = compile_range(end, range);
        if (!part || !fold(any, std::move(*part), diag_bytecode::any_of)) return std::nullopt;
      }
    }
    return any;
  }
  return std::nullopt;  // a state: the request's state mask, not bytecode
}

std::optional<Compiled> compile(const SocketExpression& node) {
  switch (node.kind) {
    case SocketExpression::Kind::test:
      return compile_test(node);
    case SocketExpression::Kind::all_of: {
      // A part that cannot be compiled is left out: the rest still narrows, no longer exactly.
      std::optional<Compiled> all;
      bool exact = true;
      for (const auto& child : node.children) {
        auto part = compile(*child);
        if (!part) {
          exact = false;
          continue;
        }
        if (!fold(all, std::move(*part), diag_bytecode::all_of)) return std::nullopt;
      }
      if (all) all->exact = all->exact && exact;
      return all;
    }
    case SocketExpression::Kind::any_of: {
      // Every alternative must narrow, or nothing can be left out.
      std::optional<Compiled> any;
      for (const auto& child : node.children) {
        auto part = compile(*child);
        if (!part || !fold(any, std::move(*part), diag_bytecode::any_of)) return std::nullopt;
      }
      return any;
    }
    case SocketExpression::Kind::negation: {
      auto inner = compile(*node.children.front());
      if (!inner || !inner->exact) return std::nullopt;
      auto negated = diag_bytecode::negation(inner->program);
      if (!negated) return std::nullopt;
      return Compiled{std::move(*negated)};
    }
  }
  return std::nullopt;
}

std::uint32_t required_states(const SocketExpression& node) {
  if (node.kind == SocketExpression::Kind::test) {
    if (const auto* state = std::get_if<StateTest>(&node.test)) return state->states;
  }
  std::uint32_t states = ~0U;
  if (node.kind == SocketExpression::Kind::all_of) {
    for (const auto& child : node.children) states &= required_states(*child);
  }
  return states;
}

}  // namespace

KernelSocketFilter kernel_filter(const SocketExpression& expression) {
  KernelSocketFilter filter;
  filter.states = required_states(expression);
  if (auto compiled = compile(expression)) filter.bytecode = std::move(compiled->program);
  return filter;
}

Result<std::shared_ptr<const SocketExpression>> parse_socket_expression(
    std::span<const std::string> words) {
  return Parser(tokenize(words)).parse();
}

bool expression_matches(const SocketExpression& expression, const SocketRecord& socket) {
  switch (expression.kind) {
    case SocketExpression::Kind::test:
      return std::visit([&](const auto& test) { return test_matches(test, socket); },
                        expression.test);
    case SocketExpression::Kind::all_of:
      return std::all_of(expression.children.begin(), expression.children.end(),
                         [&](const Node& child) { return expression_matches(*child, socket); });
    case SocketExpression::Kind::any_of:
      return std::any_of(expression.children.begin(), expression.children.end(),
                         [&](const Node& child) { return expression_matches(*child, socket); });
    case SocketExpression::Kind::negation:
      return !expression_matches(*expression.children.front(), socket);
  }
  return false;
}

}  // namespace portkit
