#include "compiler/resolver_deps.h"

#include <algorithm>
#include <functional>

#include "common/mix.h"

namespace scs::compiler {

uint64_t DepCheck::encode(const std::vector<std::string>* set) const {
    if (!set) return 0;
    auto [it, fresh] = set_hash_.try_emplace(set, 0);
    if (fresh) {
        // Members as a sequence: lowering expands them in order.
        uint64_t h = mix64(set->size() + 1);
        for (const std::string& s : *set) h = mix64(h ^ std::hash<std::string_view>()(s));
        it->second = h | 1;  // never 0
    }
    return it->second;
}

uint64_t DepCheck::answer(ResolverDep::Kind k, std::string_view name) const {
    switch (k) {
        case ResolverDep::Kind::Port:
            return encode(r_.port_key(name));
        case ResolverDep::Kind::AddressSet:
            return encode(r_.address_set(name));
        case ResolverDep::Kind::PortGroup:
            return encode(r_.port_group(name));
        case ResolverDep::Kind::Resident:
            return encode(r_.chassis_resident(name));
    }
    return ~uint64_t{0};
}

bool NameDelta::port_changed(std::string_view name) const {
    if (ports.size() <= 4) return std::find(ports.begin(), ports.end(), name) != ports.end();
    return std::binary_search(ports.begin(), ports.end(), name, std::less<>());
}

bool DepCheck::hold(const ResolverDeps& deps, uint64_t checked) const {
    const bool recent = delta_ && checked + 1 == epoch_;
    if (recent && delta_->mode == NameDelta::Mode::Same) return true;
    if (recent && delta_->mode == NameDelta::Mode::PortKeys) {
        // Only the changed names can answer differently.
        for (const ResolverDep& d : deps)
            if (d.kind == ResolverDep::Kind::Port && delta_->port_changed(d.name) && answer(d.kind, d.name) != d.answer)
                return false;
        return true;
    }
    for (const ResolverDep& d : deps)
        if (answer(d.kind, d.name) != d.answer) return false;
    return true;
}

void RecordingResolver::note(ResolverDep::Kind k, std::string_view name, uint64_t answer) const {
    std::string key;
    key.reserve(name.size() + 1);
    key.push_back(static_cast<char>('0' + static_cast<int>(k)));
    key.append(name);
    if (seen_.insert(std::move(key)).second) out_.push_back(ResolverDep{k, std::string(name), answer});
}

std::optional<uint32_t> RecordingResolver::port_key(std::string_view name) const {
    auto r = check_.resolver().port_key(name);
    note(ResolverDep::Kind::Port, name, DepCheck::encode(r));
    return r;
}

const std::vector<std::string>* RecordingResolver::address_set(std::string_view name) const {
    auto r = check_.resolver().address_set(name);
    note(ResolverDep::Kind::AddressSet, name, check_.encode(r));
    return r;
}

const std::vector<std::string>* RecordingResolver::port_group(std::string_view name) const {
    auto r = check_.resolver().port_group(name);
    note(ResolverDep::Kind::PortGroup, name, check_.encode(r));
    return r;
}

bool RecordingResolver::chassis_resident(std::string_view port) const {
    const bool r = check_.resolver().chassis_resident(port);
    note(ResolverDep::Kind::Resident, port, DepCheck::encode(r));
    return r;
}

}  // namespace scs::compiler
