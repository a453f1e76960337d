// nova-manage flavor create|list: flavors straight into the API database, so that a fresh
// deployment (scripts/aio) has something to boot before the API is up. Nova has no such
// nova-manage command; the options mirror `openstack flavor create`.
#include <charconv>
#include <iostream>

#include "command.hpp"
#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/flavor_store.hpp"
#include "nova/objects/object.hpp"
#include "table.hpp"

namespace nova::manage {

namespace {

std::int64_t IntOption(const Args& args, const std::string& name, std::optional<std::int64_t> fallback) {
    auto text = args.Option(name);
    if (!text) {
        if (fallback) return *fallback;
        throw InvalidInput({{"reason", "--" + name + " is required"}});
    }
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size() || v < 0) {
        throw InvalidInput({{"reason", "--" + name + " must be a non-negative integer, got '" + *text + "'"}});
    }
    return v;
}

int FlavorCreate(Context& ctx, const Args& args) {
    objects::Flavor flavor;
    auto name = args.Option("name");
    if (!name) {
        std::cout << "--name is required\n";
        return 1;
    }
    flavor.set_name(*name);
    auto id = args.Option("id").value_or("auto");
    flavor.set_flavorid(id == "auto" ? GenerateUuid() : id);
    flavor.set_memory_mb(IntOption(args, "ram", std::nullopt));
    flavor.set_vcpus(IntOption(args, "vcpus", std::nullopt));
    flavor.set_root_gb(IntOption(args, "disk", 0));
    flavor.set_ephemeral_gb(IntOption(args, "ephemeral", 0));
    flavor.set_swap(IntOption(args, "swap", 0));
    flavor.set_rxtx_factor(1.0);
    flavor.set_vcpu_weight(0);
    flavor.set_disabled(false);
    flavor.set_is_public(!args.Flag("private"));
    if (auto d = args.Option("description")) {
        flavor.set_description(*d);
    } else {
        objects::SetNull(flavor, "description");
    }
    try {
        db::FlavorStore(ctx.Api(), ctx.clock()).Create(flavor);
    } catch (const FlavorExists& e) {
        std::cout << e.what() << "\n";
        return 2;
    } catch (const FlavorIdExists& e) {
        std::cout << e.what() << "\n";
        return 2;
    }
    std::cout << flavor.flavorid() << "\n";
    return 0;
}

int FlavorList(Context& ctx, const Args&) {
    Table table({"ID", "Name", "RAM", "Disk", "Ephemeral", "VCPUs", "Is Public"});
    for (const auto& f : db::FlavorStore(ctx.Api(), ctx.clock()).GetAll()) {
        table.AddRow({f.flavorid(), f.name(), std::to_string(f.memory_mb()), std::to_string(f.root_gb()),
                      std::to_string(f.ephemeral_gb()), std::to_string(f.vcpus()), PyBool(f.is_public())});
    }
    std::cout << table.Render() << "\n";
    return 0;
}

}  // namespace

std::vector<Command> FlavorCommands() {
    return {
        {"flavor", "create", FlavorCreate,
         "--name N --ram MB --vcpus N [--disk GB] [--ephemeral GB] [--swap MB] [--id ID|auto] "
         "[--description D] [--private]  Create a flavor; prints its id."},
        {"flavor", "list", FlavorList, "List the flavors."},
    };
}

}  // namespace nova::manage
