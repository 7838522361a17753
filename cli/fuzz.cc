// softcheck fuzz: coverage-guided fuzzing of a user's kernel in a shared
// library, through the same decode -> run -> oracle -> verdict steps as the
// built-in fuzz targets (fuzz/targets.h).
//
// The fuzzing itself is libFuzzer's, in softcheck-fuzz-runner
// (fuzz/user_runner.cc), which softcheck starts as a child process: a kernel
// that crashes, hangs or strays out of bounds (the gate's guard pages,
// gate/isolation.h) takes down the runner, never softcheck. libFuzzer saves
// the input that did it; softcheck decodes each saved input
// (fuzz/fuzz_input.h) and hands it back as the `softcheck eval` command that
// reproduces it. --jobs N runs libFuzzer's -fork=N: N worker processes.
//
// The runner must be built by clang (libFuzzer); docs/fuzzing.md says how a
// g++ build gets one. Exit codes: 0 no finding, 1 a finding, 2 trouble.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/numbers.h"
#include "fuzz/fuzz_checks.h"
#include "fuzz/fuzz_input.h"
#include "gate/check.h"

#ifndef SOFTCHECK_FUZZ_RUNNER
#define SOFTCHECK_FUZZ_RUNNER ""
#endif
#ifndef SOFTCHECK_FUZZ_RUNNER_HOW
#define SOFTCHECK_FUZZ_RUNNER_HOW ""
#endif
#ifndef SOFTCHECK_FUZZ_CORPUS
#define SOFTCHECK_FUZZ_CORPUS ""
#endif

namespace softcheck {
namespace {

namespace fs = std::filesystem;

bool Executable(const std::string& p) { return !p.empty() && access(p.c_str(), X_OK) == 0; }

// "" and *why set when there is none.
std::string FindRunner(std::string* why) {
  if (const char* env = std::getenv("SOFTCHECK_FUZZ_RUNNER")) {
    if (Executable(env)) return env;
    *why = fmt::format("fuzz: the runner '{}' named by SOFTCHECK_FUZZ_RUNNER is not an "
                       "executable file", env);
    return "";
  }
  if (Executable(SOFTCHECK_FUZZ_RUNNER)) return SOFTCHECK_FUZZ_RUNNER;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::string beside = (self.parent_path() / "softcheck-fuzz-runner").string();
    if (Executable(beside)) return beside;
  }
  const std::string how = SOFTCHECK_FUZZ_RUNNER_HOW;
  *why = how.empty() || std::string(SOFTCHECK_FUZZ_RUNNER).empty()
             ? "fuzz: needs softcheck-fuzz-runner, a libFuzzer build that only clang makes; "
               "none was built (install clang-14 and reconfigure, see docs/fuzzing.md)"
             : fmt::format("fuzz: needs softcheck-fuzz-runner, a libFuzzer build made with "
                           "clang-14; build it with `{}` (see docs/fuzzing.md)", how);
  return "";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The corpus a fuzz of this kind starts from: a copy of the built-in
// target's seeds (libFuzzer adds what it finds to its first corpus).
std::string CorpusName(const std::string& kind) {
  if (kind == "softmax-f32") return "softmax_f32";
  if (kind == "softmax-f64") return "softmax_f64";
  return "attention_f32";
}

// The replay command of a saved input, and for softmax the output or the
// fault it gives when run once, isolated.
std::string Replay(const FuzzOptions& o, const std::string& bytes, std::string* detail) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const std::string selector =
      fmt::format("--lib {} --symbol {} --kind {}", o.lib, o.symbol, o.kind);
  if (o.kind == "attention-f32")  // AttentionReplay adds --kind attention-f32
    return fuzz::AttentionReplay(fmt::format("--lib {} --symbol {}", o.lib, o.symbol),
                                 fuzz::DecodeAttention(data, bytes.size()));
  SoftmaxKernel k;
  k.name = o.symbol;
  k.cli_selector = selector;
  std::vector<double> x;
  std::string command;
  if (o.kind == "softmax-f32") {
    const auto in = fuzz::DecodeSoftmax<float>(data, bytes.size());
    command = fuzz::SoftmaxReplay<float>(k, in.x, 1.0f);
    x.assign(in.x.begin(), in.x.end());
  } else {
    const auto in = fuzz::DecodeSoftmax<double>(data, bytes.size());
    command = fuzz::SoftmaxReplay<double>(k, in.x, 1.0);
    x = in.x;
  }
  KernelKind kind;
  ParseKernelKind(o.kind, &kind);
  std::vector<double> y;
  std::string trouble;
  const std::string what = RunLibraryOnce(o.lib, o.symbol, kind, x, o.timeout, &y, &trouble);
  if (!what.empty()) *detail = what;
  *detail += fmt::format("{}n = {}", detail->empty() ? "" : "; ", x.size());
  return command;
}

}  // namespace

int RunFuzz(const FuzzOptions& o) {
  if (o.lib.empty()) return Trouble("fuzz: --lib PATH.so is required");
  if (o.symbol.empty()) return Trouble("fuzz: --symbol NAME is required");
  if (o.kind != "softmax-f32" && o.kind != "softmax-f64" && o.kind != "attention-f32")
    return Trouble(fmt::format(
        "fuzz: --kind '{}' is not softmax-f32, softmax-f64 or attention-f32", o.kind));
  const std::string probe = ProbeLibrary(o.lib, o.symbol);
  if (!probe.empty()) return Trouble("fuzz: " + probe);
  std::string why;
  const std::string runner = FindRunner(&why);
  if (runner.empty()) return Trouble(why);
  std::error_code ec;
  const std::string lib = fs::absolute(o.lib, ec).string();

  // The work directory: corpus, saved inputs, the runner's log.
  std::string tmpl = (fs::temp_directory_path() / "softcheck-fuzz-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return Trouble("fuzz: cannot create a work directory in /tmp");
  const fs::path work = tmpl;
  fs::path corpus = o.corpus;
  if (corpus.empty()) {
    corpus = work / "corpus";
    fs::create_directories(corpus);
    const fs::path seeds = fs::path(SOFTCHECK_FUZZ_CORPUS) / CorpusName(o.kind);
    if (fs::is_directory(seeds, ec))
      for (const auto& e : fs::directory_iterator(seeds, ec))
        fs::copy_file(e.path(), corpus / e.path().filename(), ec);
  } else if (!fs::is_directory(corpus, ec)) {
    return Trouble(fmt::format("fuzz: --corpus '{}' is not a directory", o.corpus));
  }
  const fs::path log = work / "runner.log";

  std::vector<std::string> args = {
      runner,
      fmt::format("-max_total_time={}", static_cast<long>(o.time)),
      fmt::format("-timeout={}", std::max(1L, static_cast<long>(o.timeout))),
      "-artifact_prefix=" + (work / "").string(),
      "-print_final_stats=1",
      "-detect_leaks=0"};
  if (o.jobs > 1) args.push_back(fmt::format("-fork={}", o.jobs));
  if (o.runs > 0) args.push_back(fmt::format("-runs={}", o.runs));
  args.push_back(corpus.string());

  std::fprintf(stderr, "softcheck fuzz: %s in %s (%s), %g s, %d job(s); work directory %s\n",
               o.symbol.c_str(), lib.c_str(), o.kind.c_str(), o.time, o.jobs, work.c_str());
  const pid_t pid = fork();
  if (pid < 0) return Trouble("fuzz: cannot fork");
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || chdir(work.c_str()) != 0) _exit(127);
    dup2(fd, 1);
    dup2(fd, 2);
    setenv("SOFTCHECK_FUZZ_LIB", lib.c_str(), 1);
    setenv("SOFTCHECK_FUZZ_SYMBOL", o.symbol.c_str(), 1);
    setenv("SOFTCHECK_FUZZ_KIND", o.kind.c_str(), 1);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(runner.c_str(), argv.data());
    _exit(127);
  }
  // libFuzzer stops itself at -max_total_time; a runner stuck past that
  // (and past a hang's timeout and the final merge) is killed.
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration<double>(o.time + 4 * o.timeout + 120);
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  // What the runner said: its findings (lines "softcheck-fuzz: K breaks C: ..."), and
  // libFuzzer's final statistics. In fork mode the workers' logs hold them.
  std::string text = ReadFile(log);
  for (const auto& e : fs::directory_iterator(work, ec))
    if (e.path().filename().string().rfind("fuzz-", 0) == 0 && e.path().extension() == ".log")
      text += ReadFile(e.path());
  std::vector<std::string> said;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.find(" breaks ") != std::string::npos && line.rfind("softcheck-fuzz: ", 0) == 0 &&
        std::find(said.begin(), said.end(), line) == said.end())
      said.push_back(line);
  // libFuzzer's "stat::NAME: <spaces> NUMBER" lines (-print_final_stats=1).
  auto stat = [&text](const std::string& name) -> std::string {
    const size_t at = text.find("stat::" + name + ":");
    if (at == std::string::npos) return "?";
    size_t i = at + name.size() + 7;
    while (i < text.size() && text[i] == ' ') ++i;
    size_t end = i;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    return end > i ? text.substr(i, end - i) : "?";
  };
  const std::string execs = stat("number_of_executed_units");
  const std::string rate = stat("average_exec_per_sec");

  std::vector<fs::path> saved;
  for (const auto& e : fs::directory_iterator(work, ec)) {
    const std::string name = e.path().filename().string();
    for (const char* prefix : {"crash-", "timeout-", "oom-", "leak-"})
      if (name.rfind(prefix, 0) == 0) saved.push_back(e.path());
  }
  std::sort(saved.begin(), saved.end());
  if (saved.empty()) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      std::printf("softcheck fuzz: no finding in %s execs (%s/s) on %s\n", execs.c_str(),
                  rate.c_str(), o.symbol.c_str());
      return kExitOk;
    }
    std::string tail = text.size() > 2000 ? text.substr(text.size() - 2000) : text;
    std::fprintf(stderr, "%s\n", tail.c_str());
    return Trouble(fmt::format("fuzz: the runner ended ({}) without saving an input; its "
                               "log is {}",
                               WIFSIGNALED(status) ? fmt::format("signal {}", WTERMSIG(status))
                                                   : fmt::format("exit {}", WEXITSTATUS(status)),
                               log.string()));
  }
  std::printf("softcheck fuzz: %zu finding(s) on %s after %s execs\n", saved.size(),
              o.symbol.c_str(), execs.c_str());
  for (const std::string& line : said) std::printf("  %s\n", line.c_str());
  FuzzOptions absolute = o;
  absolute.lib = lib;
  for (const fs::path& p : saved) {
    const std::string name = p.filename().string();
    const std::string kind = name.substr(0, name.find('-'));
    std::string detail;
    const std::string command = Replay(absolute, ReadFile(p), &detail);
    std::printf("%s: %s%s%s\n  saved input: %s\n  reproduce: %s\n", kind.c_str(),
                kind == "crash"     ? "the kernel crashed or broke a promise"
                : kind == "timeout" ? fmt::format("a call ran past {} s", o.timeout).c_str()
                                    : "the runner ran out of memory",
                detail.empty() ? "" : " -- ", detail.c_str(), p.c_str(), command.c_str());
  }
  return kExitFinding;
}

}  // namespace softcheck
