// Every object through its store and back: what goes in comes out (field by field, compared
// as nova_object primitives), and the list queries find what they should.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "../../objects/src/fill_for_test.hpp"
#include "nova/common/error.hpp"
#include "nova/common/time.hpp"
#include "nova/common/uuid.hpp"
#include "nova/db/aggregate_store.hpp"
#include "nova/db/block_device_store.hpp"
#include "nova/db/cell_mapping_store.hpp"
#include "nova/db/flavor_store.hpp"
#include "nova/db/instance_action_store.hpp"
#include "nova/db/instance_group_store.hpp"
#include "nova/db/instance_store.hpp"
#include "nova/db/keypair_store.hpp"
#include "nova/db/migration_store.hpp"
#include "nova/db/placement_store.hpp"
#include "nova/db/quota_store.hpp"
#include "nova/db/scheduling_store.hpp"
#include "nova/db/service_store.hpp"
#include "nova/db/tag_store.hpp"
#include "scratch_database.hpp"

using namespace nova;
using namespace nova::db;
using testing::ScratchDatabase;

namespace {

// The fields of `want` (except `skip`) have the same primitive in `got`.
void CheckSameFields(const objects::Message& want, const objects::Message& got,
                     const std::set<std::string>& skip) {
    Json w = objects::ToPrimitive(want)["nova_object.data"];
    Json g = objects::ToPrimitive(got)["nova_object.data"];
    for (const auto& [field, value] : w.items()) {
        if (skip.contains(field)) continue;
        CAPTURE(field);
        REQUIRE(g.contains(field));
        CHECK(g[field] == value);
    }
}

template <class T>
T Filled() {
    T object;
    objects::testing::FillAll(object);
    for (const char* f : {"id", "created_at", "updated_at", "deleted_at", "deleted"}) {
        if (object.GetDescriptor()->FindFieldByName(f)) objects::Unset(object, f);
    }
    return object;
}

}  // namespace

TEST_CASE("an instance with every stored field round-trips through the cell database") {
    ScratchDatabase db(ScratchDatabase::Schema::kMain);
    InstanceStore store(db.pool(), db.clock());
    auto inst = Filled<objects::Instance>();
    inst.set_uuid(GenerateUuid());
    inst.set_locked_by("owner");
    inst.set_access_ip_v4("192.0.2.10");
    inst.set_access_ip_v6("2001:db8::10");
    objects::SetNullKey(inst, "system_metadata", "image_kernel_id");
    // Not kept by the instance store (network info cache, security groups, tags, ...).
    const std::set<std::string> not_stored = {"services", "security_groups", "pci_devices", "tags",
                                              "ec2_ids", "fault", "id", "created_at", "updated_at",
                                              "deleted_at", "deleted"};
    for (const auto& f : not_stored) objects::Unset(inst, f);
    // The cache row's own bookkeeping is the store's.
    for (const char* f : {"created_at", "updated_at", "deleted_at", "deleted"}) {
        objects::Unset(*inst.mutable_info_cache(), f);
    }
    inst.mutable_info_cache()->set_instance_uuid(inst.uuid());
    store.Create(inst);
    CHECK(inst.id() > 0);
    CHECK(objects::WhatChanged(inst).empty());

    auto got = store.GetByUuid(inst.uuid());
    auto skip = not_stored;
    skip.insert("info_cache");  // compared on its own: its row has its own timestamps
    CheckSameFields(inst, got, skip);
    CheckSameFields(inst.info_cache(), got.info_cache(), {"created_at", "deleted"});
    CHECK(got.id() == inst.id());
    CHECK_FALSE(got.deleted());
    CHECK(objects::IsNull(got, "fault"));
    CHECK(objects::IsNullKey(got, "system_metadata", "image_kernel_id"));
    CHECK(objects::WhatChanged(got).empty());
    CHECK_THROWS_AS(store.Create(got), ObjectActionError);

    // Save writes what changed: columns, flavor, metadata (added, changed, removed keys).
    got.mutable_info_cache()->set_network_info("[{\"id\": \"port-1\"}]");
    got.set_vm_state("stopped");
    got.mutable_flavor()->set_memory_mb(4096);
    got.mutable_metadata()->clear();
    (*got.mutable_metadata())["role"] = "db";
    objects::SetNull(got, "task_state");
    store.Save(got);
    auto again = store.GetByUuid(inst.uuid());
    CHECK(again.vm_state() == "stopped");
    CHECK(again.flavor().memory_mb() == 4096);
    CHECK(again.metadata().size() == 1);
    CHECK(again.metadata().at("role") == "db");
    CHECK(objects::IsNull(again, "task_state"));
    CHECK(again.has_updated_at());
    CHECK(again.info_cache().network_info() == "[{\"id\": \"port-1\"}]");

    // Faults come with the instance, newest first.
    InstanceFaultStore faults(db.pool(), db.clock());
    objects::InstanceFault fault;
    fault.set_instance_uuid(inst.uuid());
    fault.set_code(500);
    fault.set_message("NoValidHost");
    fault.set_details("no host");
    fault.set_host("h1");
    faults.Create(fault);
    CHECK(store.GetByUuid(inst.uuid()).fault().message() == "NoValidHost");
    CHECK(faults.GetLatestForInstance(inst.uuid())->code() == 500);

    // Lists by host and node, and by filters.
    auto by_host = store.GetByHostAndNode(again.host(), again.node());
    REQUIRE(by_host.size() == 1);
    CHECK(by_host.front().uuid() == inst.uuid());
    InstanceFilters filters;
    filters.project_id = again.project_id();
    filters.vm_states = {"stopped"};
    CHECK(store.GetByFilters(filters).size() == 1);
    filters.vm_states = {"active"};
    CHECK(store.GetByFilters(filters).empty());

    // Quota usage is counted in SQL: the project's and its user's live instances.
    auto usage = store.CountUsage(again.project_id());
    CHECK(usage.instances == 1);
    CHECK(usage.cores == again.vcpus());
    CHECK(usage.ram == again.memory_mb());
    CHECK(store.CountUsage(again.project_id(), again.user_id()).instances == 1);
    CHECK(store.CountUsage(again.project_id(), std::string("another-user")).instances == 0);
    CHECK(store.CountUsage("another-project").instances == 0);
    // Instances the caller counted already (as BuildRequests) are left out.
    CHECK(store.CountUsage(again.project_id(), std::nullopt, {again.uuid()}).instances == 0);
    CHECK(store.CountUsage(again.project_id(), std::nullopt, {GenerateUuid()}).instances == 1);

    // Destroy is a soft delete, with Nova's host constraint.
    auto stale = store.GetByUuid(inst.uuid());
    again.set_host("elsewhere");
    store.Save(again);
    CHECK_THROWS_AS(store.Destroy(stale), ObjectActionError);
    store.Destroy(again);
    CHECK(again.deleted());
    CHECK_THROWS_AS(store.GetByUuid(inst.uuid()), InstanceNotFound);
    CHECK(store.GetByUuid(inst.uuid(), true).deleted());
    CHECK(store.CountUsage(again.project_id()).instances == 0);  // deleted ones do not count
    CHECK(db.pool().Query("SELECT deleted = id AS soft FROM instances WHERE uuid = ?", {inst.uuid()})
              .front().Int("soft") == 1);
    InstanceFilters deleted;
    deleted.deleted = true;
    CHECK(store.GetByFilters(deleted).size() == 1);
    CHECK_THROWS_AS(store.Destroy(again), InstanceNotFound);
}

TEST_CASE("the views' reads: GetForView and LoadViewRelated read what the server view shows") {
    ScratchDatabase db(ScratchDatabase::Schema::kMain);
    InstanceStore store(db.pool(), db.clock());
    auto make = [&](const std::string& vm_state) {
        auto inst = Filled<objects::Instance>();
        inst.set_uuid(GenerateUuid());
        inst.set_locked_by("owner");
        inst.set_access_ip_v4("192.0.2.10");
        inst.set_access_ip_v6("2001:db8::10");
        inst.set_vm_state(vm_state);
        objects::SetNull(inst, "task_state");
        for (const char* f : {"services", "security_groups", "pci_devices", "tags", "ec2_ids", "fault", "id",
                              "created_at", "updated_at", "deleted_at", "deleted"}) {
            objects::Unset(inst, f);
        }
        inst.mutable_info_cache()->set_instance_uuid(inst.uuid());
        for (const char* f : {"created_at", "updated_at", "deleted_at", "deleted"}) {
            objects::Unset(*inst.mutable_info_cache(), f);
        }
        inst.mutable_metadata()->clear();
        (*inst.mutable_metadata())["role"] = "web";
        (*inst.mutable_metadata())["tier"] = "front";
        inst.mutable_system_metadata()->clear();
        (*inst.mutable_system_metadata())["locked_reason"] = "maintenance";
        (*inst.mutable_system_metadata())["image_os"] = "cirros";
        store.Create(inst);
        return inst;
    };
    auto active = make("active");
    auto failed = make("error");
    // Metadata travels as JSON built by MariaDB (JSON_OBJECTAGG): quotes, backslashes,
    // control characters and non-ASCII text come back as they were written.
    const std::string tricky = "say \"hi\" \\ back\nslash\t\x01 \u00e9 \u2713 \U0001F600 {\"k\": [1]}";
    {
        auto inst = store.GetByUuid(active.uuid());
        (*inst.mutable_metadata())["odd \"key\" \u00e9"] = tricky;
        store.Save(inst);
    }
    auto bare = make("active");
    {
        auto inst = store.GetByUuid(bare.uuid());
        inst.mutable_metadata()->clear();
        inst.mutable_system_metadata()->clear();
        store.Save(inst);
    }
    InstanceFaultStore faults(db.pool(), db.clock());
    for (const auto* inst : {&active, &failed}) {
        objects::InstanceFault fault;
        fault.set_instance_uuid(inst->uuid());
        fault.set_code(500);
        fault.set_message("boom");
        fault.set_host("h1");
        faults.Create(fault);
    }
    const std::vector<std::string> columns = {"id", "uuid", "display_name", "vm_state", "host", "created_at", "locked",
                                              "deleted", "hidden"};

    auto shown = store.GetForView(active.uuid(), columns);
    CHECK(shown.uuid() == active.uuid());
    CHECK(shown.id() == active.id());
    CHECK(shown.display_name() == active.display_name());
    CHECK(shown.host() == active.host());
    CHECK(shown.has_created_at());
    CHECK_FALSE(shown.has_memory_mb());  // not asked for
    CHECK(shown.flavor().flavorid() == active.flavor().flavorid());
    CHECK(shown.flavor().memory_mb() == active.flavor().memory_mb());
    CHECK_FALSE(shown.has_old_flavor());
    CHECK_FALSE(shown.has_numa_topology());
    CHECK(shown.metadata().size() == 3);
    CHECK(shown.metadata().at("tier") == "front");
    CHECK(shown.metadata().at("odd \"key\" \u00e9") == tricky);
    CHECK(shown.system_metadata().size() == 1);  // locked_reason only
    CHECK(shown.system_metadata().at("locked_reason") == "maintenance");
    CHECK(objects::IsNull(shown, "fault"));  // not shown for an ACTIVE server
    auto broken = store.GetForView(failed.uuid(), columns);
    CHECK(broken.fault().message() == "boom");
    CHECK(broken.fault().code() == 500);
    auto plain = store.GetForView(bare.uuid(), columns);
    CHECK(plain.metadata().empty());
    CHECK(plain.system_metadata().empty());
    CHECK(objects::IsSet(plain, "metadata"));
    CHECK(objects::IsNull(plain, "fault"));
    CHECK_THROWS_AS(store.GetForView(GenerateUuid(), columns), InstanceNotFound);
    CHECK_THROWS_AS(store.GetForView(active.uuid(), {"uuid", "no_such_column"}), InvalidInput);

    // A list page: the rows' columns are the caller's; the rest comes in one statement.
    objects::Instance a, b;
    a.set_uuid(active.uuid());
    b.set_uuid(failed.uuid());
    store.LoadViewRelated({&a, &b}, {failed.uuid()});
    CHECK(a.flavor().flavorid() == active.flavor().flavorid());
    CHECK(b.flavor().flavorid() == failed.flavor().flavorid());
    CHECK(a.metadata().at("role") == "web");
    CHECK(a.system_metadata().size() == 1);
    CHECK(b.system_metadata().at("locked_reason") == "maintenance");
    CHECK(objects::IsNull(a, "fault"));
    CHECK(b.fault().message() == "boom");

    // Deleted servers (changes-since lists) keep their flavor; their metadata rows are gone.
    store.Destroy(active);
    CHECK_THROWS_AS(store.GetForView(active.uuid(), columns), InstanceNotFound);
    CHECK(store.GetForView(active.uuid(), columns, true).deleted());
    objects::Instance gone;
    gone.set_uuid(active.uuid());
    store.LoadViewRelated({&gone}, {});
    CHECK(gone.flavor().flavorid() == active.flavor().flavorid());
    CHECK(gone.metadata().empty());
}

TEST_CASE("services, compute nodes and migrations round-trip") {
    ScratchDatabase db(ScratchDatabase::Schema::kMain);
    ServiceStore services(db.pool(), db.clock());
    auto svc = Filled<objects::Service>();
    svc.set_uuid(GenerateUuid());
    svc.set_binary("nova-compute");
    svc.set_host("compute-1");
    for (const char* f : {"availability_zone", "compute_node"}) objects::Unset(svc, f);
    services.Create(svc);
    CheckSameFields(svc, services.GetByComputeHost("compute-1"), {"id", "deleted"});
    auto dup = svc;
    objects::Unset(dup, "id");
    dup.set_uuid(GenerateUuid());
    dup.set_topic("another-topic");  // only (host, binary) collides
    CHECK_THROWS_AS(services.Create(dup), ServiceBinaryExists);
    svc.set_version(61);
    services.Save(svc);
    CHECK(services.GetMinimumVersion("nova-compute") == 61);
    CHECK(services.GetByBinary("nova-compute").size() == 1);
    services.Destroy(svc);
    CHECK_THROWS_AS(services.GetByHostAndBinary("compute-1", "nova-compute"), HostBinaryNotFound);
    services.Create(dup);  // the soft-deleted row does not block a new one

    auto conductor = Filled<objects::Service>();
    for (const char* f : {"id", "uuid", "availability_zone", "compute_node"}) objects::Unset(conductor, f);
    conductor.set_binary("nova-conductor");
    conductor.set_host("controller-1");
    conductor.set_topic("conductor");
    services.Create(conductor);  // no uuid given: the store makes one, as Nova's Service.create
    CHECK(IsUuidLike(conductor.uuid()));
    CHECK(services.GetByHostAndBinary("controller-1", "nova-conductor").uuid() == conductor.uuid());

    ComputeNodeStore nodes(db.pool(), db.clock());
    auto node = Filled<objects::ComputeNode>();
    node.set_uuid(GenerateUuid());
    node.set_host("compute-1");
    node.set_hypervisor_hostname("compute-1.example.org");
    node.set_host_ip("192.0.2.20");
    node.set_mapped(0);
    nodes.Create(node);
    CheckSameFields(node, nodes.GetByHostAndNodename("compute-1", "compute-1.example.org"), {"id"});
    CHECK(nodes.GetAllByNotMapped(1).size() == 1);
    node.set_mapped(1);
    node.set_vcpus_used(3);
    nodes.Save(node);
    CHECK(nodes.GetAllByNotMapped(1).empty());
    CHECK(nodes.GetByUuid(node.uuid()).vcpus_used() == 3);
    CHECK_THROWS_AS(nodes.GetByHostAndNodename("compute-9", "x"), ComputeHostNotFound);

    InstanceStore instances(db.pool(), db.clock());
    objects::Instance inst;
    inst.set_uuid(GenerateUuid());
    instances.Create(inst);
    MigrationStore migrations(db.pool(), db.clock());
    auto mig = Filled<objects::Migration>();
    mig.set_uuid(GenerateUuid());
    mig.set_instance_uuid(inst.uuid());
    mig.set_migration_type("resize");
    mig.set_status("migrating");
    mig.set_source_compute("compute-1");
    mig.set_source_node("n1");
    migrations.Create(mig);
    CheckSameFields(mig, migrations.GetByUuid(mig.uuid()), {"id", "deleted"});
    CHECK(migrations.GetInProgressByHostAndNode("compute-1", "n1").size() == 1);
    mig.set_status("confirmed");
    migrations.Save(mig);
    CHECK(migrations.GetInProgressByHostAndNode("compute-1", "n1").empty());
    CHECK(migrations.GetByInstanceAndStatus(inst.uuid(), "confirmed").id() == mig.id());
    MigrationFilters f;
    f.host = "compute-1";
    f.statuses = {"confirmed", "error"};
    CHECK(migrations.GetByFilters(f).size() == 1);
}

TEST_CASE("instance actions and events") {
    ScratchDatabase db(ScratchDatabase::Schema::kMain);
    InstanceStore instances(db.pool(), db.clock());
    objects::Instance inst;
    inst.set_uuid(GenerateUuid());
    instances.Create(inst);
    InstanceActionStore actions(db.pool(), db.clock());
    objects::InstanceAction action;
    action.set_action("reboot");
    action.set_instance_uuid(inst.uuid());
    action.set_request_id("req-" + GenerateUuid());
    action.set_user_id("u");
    action.set_project_id("p");
    actions.ActionStart(action);
    CheckSameFields(action, actions.GetByRequestId(inst.uuid(), action.request_id()), {});
    actions.EventStart(inst.uuid(), action.request_id(), "compute_reboot_instance", "compute-1");
    auto done = actions.EventFinish(inst.uuid(), action.request_id(), "compute_reboot_instance",
                                    "Error", "Traceback ...");
    CHECK(done.result() == "Error");
    CHECK(actions.GetEvents(action.id()).front().traceback() == "Traceback ...");
    CHECK(actions.ActionFinish(inst.uuid(), action.request_id()).has_finish_time());
    CHECK(actions.GetByInstanceUuid(inst.uuid()).front().message() == "Error");
    CHECK_THROWS_AS(actions.GetByRequestId(inst.uuid(), "req-none"), InstanceActionNotFound);
}

TEST_CASE("cell, host and instance mappings") {
    ScratchDatabase db(ScratchDatabase::Schema::kApi);
    CellMappingStore cells(db.pool(), db.clock());
    auto cell = Filled<objects::CellMapping>();
    cell.set_uuid(GenerateUuid());
    cells.Create(cell);
    CheckSameFields(cell, cells.GetByUuid(cell.uuid()), {"id"});
    auto dup = cell;
    objects::Unset(dup, "id");
    CHECK_THROWS_AS(cells.Create(dup), DBDuplicateEntry);
    cell.set_disabled(true);
    cells.Save(cell);
    CHECK(cells.GetAll().front().disabled());

    HostMappingStore hosts(db.pool(), db.clock());
    objects::HostMapping hm;
    hm.set_host("compute-1");
    *hm.mutable_cell_mapping() = cell;
    hosts.Create(hm);
    CHECK(hosts.GetByHost("compute-1").cell_mapping().uuid() == cell.uuid());
    CHECK_THROWS_AS(hosts.Create(hm), HostMappingExists);
    CHECK(hosts.GetByCell(cell.uuid()).size() == 1);
    CHECK_THROWS_AS(hosts.GetByHost("nope"), HostMappingNotFound);

    InstanceMappingStore mappings(db.pool(), db.clock());
    objects::InstanceMapping im;
    im.set_instance_uuid(GenerateUuid());
    im.set_project_id("p1");
    im.set_user_id("u1");
    im.set_queued_for_delete(false);
    mappings.Create(im);
    auto got = mappings.GetByInstanceUuid(im.instance_uuid());
    CHECK(objects::IsNull(got, "cell_mapping"));
    *got.mutable_cell_mapping() = cell;
    mappings.Save(got);
    CHECK(mappings.GetByInstanceUuid(im.instance_uuid()).cell_mapping().name() == cell.name());
    CHECK(mappings.GetByProject("p1").size() == 1);
    CHECK(mappings.GetByCell(cell.uuid()).size() == 1);
    mappings.Destroy(im.instance_uuid());
    CHECK_THROWS_AS(mappings.GetByInstanceUuid(im.instance_uuid()), InstanceMappingNotFound);
}

TEST_CASE("request specs and build requests keep whole objects") {
    ScratchDatabase db(ScratchDatabase::Schema::kApi);
    RequestSpecStore specs(db.pool(), db.clock());
    auto spec = Filled<objects::RequestSpec>();
    spec.set_instance_uuid(GenerateUuid());
    specs.Create(spec);
    CheckSameFields(spec, specs.GetByInstanceUuid(spec.instance_uuid()), {"id"});
    spec.set_num_instances(3);
    specs.Save(spec);
    CHECK(specs.GetByInstanceUuid(spec.instance_uuid()).num_instances() == 3);
    CHECK_THROWS_AS(specs.GetByInstanceUuid(GenerateUuid()), RequestSpecNotFound);

    BuildRequestStore builds(db.pool(), db.clock());
    auto br = Filled<objects::BuildRequest>();
    br.set_instance_uuid(spec.instance_uuid());
    builds.Create(br);
    CheckSameFields(br, builds.GetByInstanceUuid(br.instance_uuid()), {"id"});
    CHECK(builds.GetByProject(br.project_id()).size() == 1);
    // The quota check reads what a BuildRequest holds without loading it.
    auto pending = db.pool().Transaction([&](Session& s) { return BuildRequestStore::GetPending(s, br.project_id()); });
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].instance_uuid == br.instance_uuid());
    CHECK(pending[0].user_id == br.instance().user_id());
    CHECK(pending[0].vcpus == br.instance().vcpus());
    CHECK(pending[0].memory_mb == br.instance().memory_mb());
    CHECK(db.pool().Transaction([&](Session& s) { return BuildRequestStore::GetPending(s, "another-project"); }).empty());
    builds.Destroy(br.instance_uuid());
    CHECK_THROWS_AS(builds.Destroy(br.instance_uuid()), BuildRequestNotFound);

    // Several in one statement each, in the caller's transaction (a batch of creates).
    std::vector<objects::BuildRequest> many(3, Filled<objects::BuildRequest>());
    std::vector<objects::RequestSpec> many_specs(3, Filled<objects::RequestSpec>());
    std::vector<objects::InstanceMapping> many_mappings(3);
    std::vector<objects::BuildRequest*> br_ptrs;
    std::vector<objects::RequestSpec*> spec_ptrs;
    std::vector<objects::InstanceMapping*> mapping_ptrs;
    for (int i = 0; i < 3; ++i) {
        const auto uuid = GenerateUuid();
        many[i].set_instance_uuid(uuid);
        many_specs[i].set_instance_uuid(uuid);
        many_mappings[i].set_instance_uuid(uuid);
        many_mappings[i].set_project_id(many[i].project_id());
        objects::SetNull(many_mappings[i], "cell_mapping");
        br_ptrs.push_back(&many[i]);
        spec_ptrs.push_back(&many_specs[i]);
        mapping_ptrs.push_back(&many_mappings[i]);
    }
    InstanceMappingStore mapping_store(db.pool(), db.clock());
    const auto now = timeutil::FloorSeconds(db.clock().Now());
    db.pool().Transaction([&](Session& s) {
        specs.CreateMany(s, spec_ptrs, now);
        builds.CreateMany(s, br_ptrs, now);
        mapping_store.CreateMany(s, mapping_ptrs, now);
    });
    CHECK(builds.GetByProject(many[0].project_id()).size() == 3);
    for (int i = 0; i < 3; ++i) {
        CheckSameFields(many[i], builds.GetByInstanceUuid(many[i].instance_uuid()), {"id"});
        CheckSameFields(many_specs[i], specs.GetByInstanceUuid(many[i].instance_uuid()), {"id"});
        auto m = mapping_store.GetByInstanceUuid(many[i].instance_uuid());
        CHECK(m.project_id() == many[i].project_id());
        CHECK(objects::IsNull(m, "cell_mapping"));
    }
}

TEST_CASE("the project quota lock holds creates of one project until the holder commits") {
    ScratchDatabase db(ScratchDatabase::Schema::kApi);
    std::atomic<bool> holding{false}, first_done{false}, other_project_done{false}, second_done{false};
    std::atomic<bool> second_before_first{false};
    std::thread first([&] {
        db.pool().Transaction([&](Session& s) {
            QuotaStore::LockProject(s, "p1", db.clock().Now());
            holding = true;
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            if (second_done) second_before_first = true;
            s.Execute("INSERT INTO build_requests (instance_uuid, project_id) VALUES (?, 'p1')", {GenerateUuid()});
        });
        first_done = true;
    });
    while (!holding) std::this_thread::yield();
    // Another project is not held up.
    db.pool().Transaction([&](Session& s) { QuotaStore::LockProject(s, "p2", db.clock().Now()); });
    other_project_done = !first_done;
    std::size_t seen = 0;
    db.pool().Transaction([&](Session& s) {
        QuotaStore::LockProject(s, "p1", db.clock().Now());
        second_done = true;
        seen = BuildRequestStore::GetPending(s, "p1").size();  // the first's write, committed
    });
    first.join();
    CHECK(other_project_done);
    CHECK_FALSE(second_before_first);
    CHECK(seen == 1);
    // One lock row per project, carrying no usage.
    CHECK(db.pool().Query("SELECT COUNT(*) AS n FROM quota_usages WHERE in_use = 0 AND reserved = 0").front().Int("n") == 2);
}

TEST_CASE("flavors, key pairs, server groups, aggregates, quotas") {
    ScratchDatabase db(ScratchDatabase::Schema::kApi);
    FlavorStore flavors(db.pool(), db.clock());
    auto flavor = Filled<objects::Flavor>();
    flavors.Create(flavor);
    CheckSameFields(flavor, flavors.GetByFlavorId(flavor.flavorid()), {"id"});
    CHECK(flavors.GetByName(flavor.name()).id() == flavor.id());
    (*flavor.mutable_extra_specs())["hw:cpu_policy"] = "dedicated";
    flavor.set_description("two");
    flavors.Save(flavor);
    auto f2 = flavors.GetById(flavor.id());
    CHECK(f2.extra_specs().size() == 2);
    CHECK(f2.description() == "two");
    flavors.AddAccess(flavor.flavorid(), "p9");
    CHECK_THROWS_AS(flavors.AddAccess(flavor.flavorid(), "p9"), FlavorAccessExists);
    flavors.RemoveAccess(flavor.flavorid(), "p9");
    auto dup = flavor;
    objects::Unset(dup, "id");
    dup.set_name("other");
    CHECK_THROWS_AS(flavors.Create(dup), FlavorIdExists);
    flavors.Destroy(flavor.flavorid());
    CHECK_THROWS_AS(flavors.GetByFlavorId(flavor.flavorid()), FlavorNotFound);

    KeyPairStore keys(db.pool(), db.clock());
    auto kp = Filled<objects::KeyPair>();
    kp.set_type("ssh");
    keys.Create(kp);
    CheckSameFields(kp, keys.GetByName(kp.user_id(), kp.name()), {"id"});
    CHECK_THROWS_AS(keys.Create(kp), KeyPairExists);
    CHECK(keys.CountByUser(kp.user_id()) == 1);
    keys.Destroy(kp.user_id(), kp.name());
    CHECK_THROWS_AS(keys.GetByName(kp.user_id(), kp.name()), KeypairNotFound);

    InstanceGroupStore groups(db.pool(), db.clock());
    auto group = Filled<objects::InstanceGroup>();
    group.set_uuid(GenerateUuid());
    group.set_policy("anti-affinity");
    for (const char* f : {"policies", "hosts"}) objects::Unset(group, f);
    groups.Create(group);
    CheckSameFields(group, groups.GetByUuid(group.uuid()), {"id"});
    auto added = groups.AddMembers(group.uuid(), {group.members(0), "new-member"});
    CHECK(added == std::vector<std::string>{"new-member"});
    CHECK(groups.GetByInstanceUuid("new-member").uuid() == group.uuid());
    groups.Destroy(group.uuid());
    CHECK_THROWS_AS(groups.GetByUuid(group.uuid()), InstanceGroupNotFound);

    AggregateStore aggregates(db.pool(), db.clock());
    auto agg = Filled<objects::Aggregate>();
    agg.set_uuid(GenerateUuid());
    aggregates.Create(agg);
    CheckSameFields(agg, aggregates.GetByUuid(agg.uuid()), {"id"});
    aggregates.AddHost(agg.id(), "compute-7");
    CHECK_THROWS_AS(aggregates.AddHost(agg.id(), "compute-7"), AggregateHostExists);
    aggregates.UpdateMetadata(agg.id(), {{"availability_zone", "az1"}, {"key-metadata", std::nullopt}});
    auto in_az = aggregates.GetByHost("compute-7", "availability_zone");
    REQUIRE(in_az.size() == 1);
    CHECK(in_az.front().metadata().at("availability_zone") == "az1");
    CHECK_FALSE(in_az.front().metadata().contains("key-metadata"));
    aggregates.DeleteHost(agg.id(), "compute-7");
    CHECK_THROWS_AS(aggregates.DeleteHost(agg.id(), "compute-7"), AggregateHostNotFound);
    aggregates.Destroy(agg.id());
    CHECK_THROWS_AS(aggregates.GetById(agg.id()), AggregateNotFound);

    QuotaStore quotas(db.pool(), db.clock());
    quotas.CreateLimit("p1", "instances", 10);
    quotas.CreateLimit("p1", "cores", 20, "u1");
    CHECK_THROWS_AS(quotas.CreateLimit("p1", "instances", 5), QuotaExists);
    quotas.UpdateLimit("p1", "instances", 12);
    CHECK(quotas.GetAllByProject("p1").at("instances") == 12);
    CHECK(quotas.GetAllByProjectAndUser("p1", "u1").at("cores") == 20);
    CHECK_THROWS_AS(quotas.UpdateLimit("p2", "instances", 1), ProjectQuotaNotFound);
    quotas.SetClassLimit("default", "ram", 51200);
    CHECK(quotas.GetClassLimits().at("ram") == 51200);
    quotas.DestroyAllByProject("p1");
    CHECK(quotas.GetAllByProject("p1").empty());
}

TEST_CASE("placement: generations guard inventories and allocations") {
    ScratchDatabase db(ScratchDatabase::Schema::kApi);
    PlacementStore placement(db.pool(), db.clock());
    objects::ResourceProvider rp;
    rp.set_uuid(GenerateUuid());
    rp.set_name("compute-1");
    placement.CreateProvider(rp);
    CHECK(rp.generation() == 0);
    CHECK(placement.GetProvider(rp.uuid()).root_provider_uuid() == rp.uuid());

    objects::Inventory vcpu;
    vcpu.set_resource_class("VCPU");
    vcpu.set_total(8);
    vcpu.set_max_unit(8);
    vcpu.set_allocation_ratio(16.0);
    placement.SetInventories(rp, {vcpu});
    CHECK(rp.generation() == 1);
    auto stale = rp;
    stale.set_generation(0);
    CHECK_THROWS_AS(placement.SetInventories(stale, {vcpu}), ResourceProviderUpdateConflict);
    CHECK(placement.GetInventories(rp.uuid()).front().allocation_ratio() == 16.0);

    objects::Consumer consumer;
    consumer.set_uuid(GenerateUuid());
    consumer.set_project_id("p");
    consumer.set_user_id("u");
    objects::Allocation alloc;
    *alloc.mutable_resource_provider() = placement.GetProvider(rp.uuid());
    alloc.set_resource_class("VCPU");
    alloc.set_used(2);
    placement.ReplaceAllocations(consumer, std::nullopt, {alloc});
    CHECK(placement.GetUsages(rp.uuid()).at("VCPU") == 2);
    // A second claim with the provider generation seen before the first one loses.
    objects::Consumer other = consumer;
    other.set_uuid(GenerateUuid());
    CHECK_THROWS_AS(placement.ReplaceAllocations(other, std::nullopt, {alloc}), ResourceProviderUpdateConflict);
    CHECK(placement.GetUsages(rp.uuid()).at("VCPU") == 2);
    // The consumer's generation guards its own updates.
    *alloc.mutable_resource_provider() = placement.GetProvider(rp.uuid());
    CHECK_THROWS_AS(placement.ReplaceAllocations(consumer, 7, {alloc}), ConcurrentUpdateDetected);
    alloc.set_used(4);
    placement.ReplaceAllocations(consumer, 0, {alloc});
    auto mine = placement.GetAllocationsForConsumer(consumer.uuid());
    REQUIRE(mine.size() == 1);
    CHECK(mine.front().used() == 4);
    CHECK(mine.front().consumer().generation() == 1);
    CHECK_THROWS_AS(placement.DeleteProvider(rp.uuid()), ResourceProviderInUse);
    placement.DeleteAllocations(consumer.uuid());
    CHECK(placement.GetAllocationsForProvider(rp.uuid()).empty());
    placement.DeleteProvider(rp.uuid());
    CHECK_THROWS_AS(placement.GetProvider(rp.uuid()), ResourceProviderNotFound);
}

TEST_CASE("block device mappings and network info caches") {
    ScratchDatabase db(ScratchDatabase::Schema::kMain);
    InstanceStore instances(db.pool(), db.clock());
    objects::Instance inst;
    inst.set_uuid(GenerateUuid());
    instances.Create(inst);

    BlockDeviceMappingStore bdms(db.pool(), db.clock());
    auto bdm = Filled<objects::BlockDeviceMapping>();
    objects::Unset(bdm, "instance");
    bdm.set_uuid(GenerateUuid());
    bdm.set_instance_uuid(inst.uuid());
    bdm.set_volume_id(GenerateUuid());
    bdm.set_snapshot_id(GenerateUuid());
    bdm.set_image_id(GenerateUuid());
    bdm.set_attachment_id(GenerateUuid());
    bdm.set_encryption_secret_uuid(GenerateUuid());
    bdms.Create(bdm);
    CheckSameFields(bdm, bdms.GetById(bdm.id()), {"id", "deleted"});
    bdm.set_connection_info("{\"driver_volume_type\": \"iscsi\"}");
    bdms.Save(bdm);
    auto listed = bdms.GetByInstanceUuid(inst.uuid());
    REQUIRE(listed.size() == 1);
    CHECK(listed.front().connection_info() == bdm.connection_info());
    CHECK(bdms.GetByVolume(bdm.volume_id()).size() == 1);
    bdms.Destroy(bdm);
    CHECK(bdms.GetByInstanceUuid(inst.uuid()).empty());

    InstanceInfoCacheStore caches(db.pool(), db.clock());
    auto cache = caches.GetByInstanceUuid(inst.uuid());  // made with the instance
    cache.set_network_info("[]");
    caches.Save(cache);
    CHECK(caches.GetByInstanceUuid(inst.uuid()).network_info() == "[]");
    CHECK(instances.GetByUuid(inst.uuid()).info_cache().network_info() == "[]");
    CHECK_THROWS_AS(caches.GetByInstanceUuid(GenerateUuid()), InstanceInfoCacheNotFound);
}

TEST_CASE("server tags: add, set, delete, several instances at once, gone with the instance") {
    ScratchDatabase db(ScratchDatabase::Schema::kMain);
    InstanceStore instances(db.pool(), db.clock());
    objects::Instance a, b;
    a.set_uuid(GenerateUuid());
    b.set_uuid(GenerateUuid());
    instances.Create(a);
    instances.Create(b);
    TagStore tags(db.pool());

    CHECK(tags.GetByInstance(a.uuid()).empty());
    CHECK(tags.Add(a.uuid(), "web"));
    CHECK_FALSE(tags.Add(a.uuid(), "web"));  // already there: ignored
    CHECK(tags.Add(a.uuid(), "db"));
    CHECK(tags.GetByInstance(a.uuid()) == std::vector<std::string>{"db", "web"});
    CHECK(tags.Exists(a.uuid(), "db"));
    CHECK_FALSE(tags.Exists(a.uuid(), "nope"));
    CHECK(tags.Set(a.uuid(), {"web", "prod", "prod", "z"}) == std::vector<std::string>{"prod", "web", "z"});
    CHECK(tags.Set(b.uuid(), {"x"}) == std::vector<std::string>{"x"});
    auto both = tags.GetByInstances({a.uuid(), b.uuid(), GenerateUuid()});
    CHECK(both.size() == 2);
    CHECK(both[a.uuid()] == std::vector<std::string>{"prod", "web", "z"});
    CHECK(both[b.uuid()] == std::vector<std::string>{"x"});

    tags.Delete(a.uuid(), "z");
    CHECK_THROWS_AS(tags.Delete(a.uuid(), "z"), InstanceTagNotFound);
    tags.DeleteAll(b.uuid());
    CHECK(tags.GetByInstance(b.uuid()).empty());

    // An unknown (or deleted) instance is InstanceNotFound for every checked call.
    const auto unknown = GenerateUuid();
    CHECK_THROWS_AS(tags.GetByInstance(unknown), InstanceNotFound);
    CHECK_THROWS_AS(tags.Add(unknown, "t"), InstanceNotFound);
    CHECK_THROWS_AS(tags.Set(unknown, {"t"}), InstanceNotFound);
    CHECK_THROWS_AS(tags.Exists(unknown, "t"), InstanceNotFound);
    CHECK_THROWS_AS(tags.DeleteAll(unknown), InstanceNotFound);

    // instance_destroy takes the tags with it (the table has no soft delete).
    instances.Destroy(a);
    CHECK(db.pool().Query("SELECT COUNT(*) AS n FROM tags WHERE resource_id = ?", {a.uuid()}).front().Int("n") == 0);
    CHECK_THROWS_AS(tags.GetByInstance(a.uuid()), InstanceNotFound);
}
