// libFuzzer target for the JSON source: any bytes, loaded as the orchestrator preset. Checks that loading never
// crashes, that a failed load names at least one problem, and that every message starts with its path.
#include <arbiter/config/json_source.hpp>

#include <arbiter/config.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto source = arbiter::json_source::from_text(text, "fuzz.json");
  const auto result = arbiter::load_config<arbiter::orchestrator_config>(source);
  for (const auto& issue : result.issues) {
    if (issue.message.rfind(issue.path + ":", 0) != 0) std::abort();
  }
  if (result.ok()) {
    const arbiter::snapshot_data<arbiter::orchestrator_config> data_copy{result.value, result.origins, 1};
    static_cast<void>(arbiter::dump_json(arbiter::snapshot<arbiter::orchestrator_config>(
        std::make_shared<const arbiter::snapshot_data<arbiter::orchestrator_config>>(data_copy))));
  }
  return 0;
}
