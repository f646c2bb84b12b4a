#include <charconv>
#include <ostream>

#include "steps/step.h"
#include "steps/steps_internal.h"

namespace dh::steps {

std::string_view to_string(GateKind kind) {
  switch (kind) {
    case GateKind::none: return "none";
    case GateKind::ssm: return "ssm";
    case GateKind::tailscale: return "tailscale";
    case GateKind::new_ssh: return "new-ssh";
  }
  return "?";
}

std::optional<GateKind> gate_kind_from(std::string_view text) {
  for (auto k : {GateKind::none, GateKind::ssm, GateKind::tailscale, GateKind::new_ssh})
    if (to_string(k) == text) return k;
  return std::nullopt;
}

namespace {

// A runbook step whose implementation comes in a later issue: it plans nothing and says so.
class NotYetStep : public Step {
 public:
  NotYetStep(int number, std::string_view name, std::string_view slug, GateKind gate, bool deadman)
      : number_(number), name_(name), slug_(slug), gate_(gate), deadman_(deadman) {}
  int number() const override { return number_; }
  std::string_view name() const override { return name_; }
  std::string_view slug() const override { return slug_; }
  GateKind gate() const override { return gate_; }
  bool deadman() const override { return deadman_; }
  bool implemented() const override { return false; }
  Expected<StepPlan> plan(host::Host&, const Options&) override {
    return Error{"step " + std::to_string(number_) + " (" + std::string(name_) +
                 ") is not implemented yet — later issue"};
  }

 private:
  int number_;
  std::string_view name_, slug_;
  GateKind gate_;
  bool deadman_;
};

// Step 1 only reads: `devbox-harden assess` is its implementation.
class AssessStep : public Step {
 public:
  int number() const override { return 1; }
  std::string_view name() const override { return "Assess current security posture"; }
  std::string_view slug() const override { return "assess"; }
  GateKind gate() const override { return GateKind::none; }
  bool deadman() const override { return false; }
  Expected<StepPlan> plan(host::Host&, const Options&) override {
    StepPlan plan;
    plan.notes.push_back("read-only: run `devbox-harden assess` for the findings");
    return plan;
  }
};

}  // namespace

const std::vector<std::unique_ptr<Step>>& registry() {
  static const std::vector<std::unique_ptr<Step>> steps = [] {
    std::vector<std::unique_ptr<Step>> v;
    v.push_back(std::make_unique<AssessStep>());
    v.push_back(std::make_unique<NotYetStep>(2, "SSM escape hatch (out-of-band access)", "ssm", GateKind::ssm, false));
    v.push_back(make_tailscale_step());
    v.push_back(make_firewall_step());
    v.push_back(make_ssh_step());
    v.push_back(std::make_unique<NotYetStep>(6, "Security group (WireGuard UDP only)", "security-group",
                                             GateKind::tailscale, true));
    v.push_back(std::make_unique<NotYetStep>(7, "OS hardening (kernel, IMDS, services)", "os", GateKind::none, false));
    v.push_back(std::make_unique<NotYetStep>(8, "Security audit", "audit", GateKind::none, false));
    v.push_back(std::make_unique<NotYetStep>(9, "Final verification", "verify", GateKind::none, false));
    return v;
  }();
  return steps;
}

Step* find_step(int number) {
  for (const auto& s : registry())
    if (s->number() == number) return s.get();
  return nullptr;
}

Expected<int> parse_step(std::string_view text) {
  int n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc() && p == text.data() + text.size() && find_step(n)) return n;
  std::string choices;
  for (const auto& s : registry()) {
    if (s->slug() == text) return s->number();
    choices += (choices.empty() ? "" : ", ") + std::to_string(s->number()) + "/" + std::string(s->slug());
  }
  return Error{"unknown step '" + std::string(text) + "'; steps are " + choices};
}

}  // namespace dh::steps
