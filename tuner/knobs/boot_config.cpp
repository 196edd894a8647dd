#include "tuner/knobs/boot_config.h"

#include <cctype>
#include <cerrno>

#include "core/parse.h"

namespace tunectl {
namespace {

const char* const kGrubDefaults = "/etc/default/grub";
const char* const kGrubDropInDir = "/etc/default/grub.d";
const char* const kGrubDropIn = "/etc/default/grub.d/tunectl.cfg";
const char* const kKernelCmdline = "/etc/kernel/cmdline";
const char* const kInstallConf = "/etc/kernel/install.conf";

// The drop-in's fixed text around the parameter list. The parameters are validated words
// ([A-Za-z0-9._,=-]), so nothing in them means anything to the shell that sources this file.
const char* const kDropInHeader =
    "# Written by tunectl (boot: knobs): kernel parameters for the next boot. Do not edit: tunectl\n"
    "# journals this file and restores it byte for byte (`tunectl status`, `tunectl rollback`).\n";
const char* const kAssignOpen = "GRUB_CMDLINE_LINUX_DEFAULT=\"${GRUB_CMDLINE_LINUX_DEFAULT} ";
const char* const kAssignClose = "\"\n";

bool is_blank(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

struct Token {
  size_t begin, end;  // [begin, end) in the text
  std::string name;
  std::optional<std::string> value;
};

// Whitespace-separated words; double quotes group (param="a b"), as the kernel reads them.
std::vector<Token> tokens(const std::string& text) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_blank(text[i])) ++i;
    if (i >= text.size()) break;
    const size_t begin = i;
    bool quoted = false;
    std::string word;
    for (; i < text.size() && (quoted || !is_blank(text[i])); ++i) {
      if (text[i] == '"') quoted = !quoted;
      else word += text[i];
    }
    if (word == "--") break;  // what follows belongs to init
    const size_t eq = word.find('=');
    Token t{begin, i, word.substr(0, eq), std::nullopt};
    t.value = eq == std::string::npos ? std::string() : word.substr(eq + 1);
    out.push_back(std::move(t));
  }
  return out;
}

std::optional<std::string> install_layout(const Host& host) {
  const ReadResult r = host.read(kInstallConf);
  if (!r.ok) return std::nullopt;
  std::optional<std::string> layout;
  for (const auto& t : tokens(r.data))
    if (t.name == "layout") layout = t.value;
  return layout;
}

}  // namespace

BootConfig detect_boot_config(const Host& host) {
  const auto layout = install_layout(host);
  const bool kernel_install_layout = layout && (*layout == "bls" || *layout == "uki");
  if (host.exists(kGrubDefaults) && !kernel_install_layout) return {BootLoader::kGrub, kGrubDropIn, ""};
  if (host.exists(kKernelCmdline)) return {BootLoader::kKernelInstall, kKernelCmdline, ""};
  return {BootLoader::kNone, "",
          std::string("no boot loader configuration tunectl can edit: neither ") + kGrubDefaults + " (GRUB) nor " +
              kKernelCmdline + " (kernel-install) exists"};
}

std::optional<std::string> cmdline_param(const std::string& params, const std::string& name) {
  std::optional<std::string> v;
  for (const auto& t : tokens(params))
    if (t.name == name) v = t.value;
  return v;
}

std::string set_cmdline_param(const std::string& params, const std::string& name,
                              const std::optional<std::string>& value) {
  const auto all = tokens(params);
  const Token* last = nullptr;
  for (const auto& t : all)
    if (t.name == name) last = &t;
  if (!value) {
    if (!last) return params;
    size_t begin = last->begin;
    while (begin > 0 && is_blank(params[begin - 1]) && params[begin - 1] != '\n') --begin;
    size_t end = last->end;
    if (begin == 0)  // first word: take the blank after it instead
      while (end < params.size() && is_blank(params[end]) && params[end] != '\n') ++end;
    return params.substr(0, begin) + params.substr(end);
  }
  const std::string word = value->empty() ? name : name + "=" + *value;
  if (last) return params.substr(0, last->begin) + word + params.substr(last->end);
  size_t end = params.size();
  while (end > 0 && is_blank(params[end - 1])) --end;
  return params.substr(0, end) + (end > 0 ? " " : "") + word + params.substr(end);
}

ConfiguredParams read_configured_params(const Host& host, const BootConfig& config) {
  ConfiguredParams out;
  if (config.loader == BootLoader::kNone) {
    out.error = config.why;
    return out;
  }
  const ReadResult r = host.read(config.file);
  if (!r.ok) {
    if (config.loader == BootLoader::kGrub && r.err == ENOENT) {
      out.ok = true;  // no drop-in yet: no parameters of tunectl's
      return out;
    }
    out.error = config.file + ": " + r.error;
    return out;
  }
  if (config.loader == BootLoader::kKernelInstall) {
    out.ok = true;
    out.params = r.data;
    return out;
  }
  const std::string open = std::string(kDropInHeader) + kAssignOpen;
  if (r.data.compare(0, open.size(), open) != 0 || r.data.size() < open.size() + 2 ||
      r.data.compare(r.data.size() - 2, 2, kAssignClose) != 0 ||
      r.data.find_first_of("\"$`\\\n", open.size()) != r.data.size() - 2) {
    out.error = config.file + " is not in tunectl's format (edited by hand?): move it away, then plan again";
    return out;
  }
  out.ok = true;
  out.params = r.data.substr(open.size(), r.data.size() - 2 - open.size());
  return out;
}

int write_configured_params(const Host& host, const BootConfig& config, const std::string& params) {
  if (config.loader == BootLoader::kKernelInstall) return host.replace_file(config.file, params);
  if (config.loader != BootLoader::kGrub) return ENOENT;
  if (params.find_first_not_of(" \t") == std::string::npos) {
    const int err = host.remove_entry(config.file);
    return err == ENOENT ? 0 : err;
  }
  if (!host.is_dir(kGrubDropInDir)) return ENOENT;
  return host.replace_file(config.file, std::string(kDropInHeader) + kAssignOpen + params + kAssignClose);
}

std::vector<std::string> regeneration_command(const Host& host, const BootConfig& config) {
  if (config.loader == BootLoader::kGrub) {
    if (auto p = find_system_program({"update-grub"}); !p.empty()) return {p};
    if (auto p = find_system_program({"grub2-mkconfig"}); !p.empty() && host.exists("/boot/grub2/grub.cfg"))
      return {p, "-o", "/boot/grub2/grub.cfg"};
    if (auto p = find_system_program({"grub-mkconfig"}); !p.empty() && host.exists("/boot/grub/grub.cfg"))
      return {p, "-o", "/boot/grub/grub.cfg"};
    return {};
  }
  if (config.loader == BootLoader::kKernelInstall) {
    const auto release = host.read_trimmed("/proc/sys/kernel/osrelease");
    const std::string program = find_system_program({"kernel-install"});
    if (!release || program.empty()) return {};
    for (const std::string& image : {"/boot/vmlinuz-" + *release, "/usr/lib/modules/" + *release + "/vmlinuz"})
      if (host.exists(image)) return {program, "add", *release, image};
  }
  return {};
}

}  // namespace tunectl
