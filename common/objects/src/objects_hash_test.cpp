// Nova's object hash test, for our schemas: a field change without a version change fails
// here. After changing an object's proto, bump its (obj_version) and update its line below.
#include <doctest/doctest.h>

#include <google/protobuf/descriptor.pb.h>

#include <functional>
#include <map>
#include <set>
#include <string>

#include "nova/objects/flavor.pb.h"
#include "nova/objects/object.hpp"
#include "nova/objects/options.pb.h"

using namespace nova::objects;

namespace {

const std::map<std::string, std::string> kObjectFingerprints = {
    {"Aggregate", "1.3-46b4604464b2b3fe"},
    {"Allocation", "1.0-ecce40c8ba1535f3"},
    {"AllocationList", "1.0-da9ce74f000116a6"},
    {"BlockDeviceMapping", "1.21-04f1ebddaca26877"},
    {"BlockDeviceMappingList", "1.18-becd59af0666afc1"},
    {"BlockDevicePayload", "1.0-8d9fc76b6af1d3db"},
    {"BuildRequest", "1.3-789c7e64b6a46442"},
    {"CellMapping", "1.1-b384bf5556e76ac9"},
    {"CellMappingPayload", "2.0-18cad43d802d745b"},
    {"ComputeNode", "1.19-0d781c7c630d9ca8"},
    {"ComputeNodeList", "1.17-87925101123d7eed"},
    {"ComputeTaskPayload", "1.0-9b95c9752d71a8c2"},
    {"Consumer", "1.0-10d1c5146b4b0484"},
    {"Destination", "1.4-912e814630f66e85"},
    {"DestinationPayload", "1.0-c6d6fe34a00dae02"},
    {"DeviceBus", "1.0-14650fb0739d0383"},
    {"DeviceMetadata", "1.0-6fe5cbe1905cbbb1"},
    {"EC2Ids", "1.0-98800c662e70134c"},
    {"ExceptionPayload", "1.1-80734176475cc83c"},
    {"Flavor", "1.2-b8000586315adee0"},
    {"FlavorPayload", "1.4-a52750f78e895c4c"},
    {"HVSpec", "1.2-7ba0dcaf008fd325"},
    {"HostMapping", "1.0-3bae401b42e9faaa"},
    {"ImageMeta", "1.8-e7785be8e46198b9"},
    {"ImageMetaPayload", "1.0-fc1803aab457ee50"},
    {"ImageMetaProps", "1.34-cd5093a80017f7f8"},
    {"ImageMetaPropsPayload", "1.12-14650fb0739d0383"},
    {"Instance", "2.7-f170d6a597f66b90"},
    {"InstanceAction", "1.2-d1ea52e272016662"},
    {"InstanceActionEvent", "1.4-f65538b82cf54f37"},
    {"InstanceActionPayload", "1.8-e5d7120f23f60b0b"},
    {"InstanceCreatePayload", "1.12-612fbcef73d783b9"},
    {"InstanceDeviceMetadata", "1.0-21647fb206b6a3d6"},
    {"InstanceFault", "1.2-77b35b873df2f1b6"},
    {"InstanceGroup", "1.11-f2eb8f14d770acf6"},
    {"InstanceInfoCache", "1.5-1728e4fe3fa77a19"},
    {"InstanceList", "2.6-551c14864e52a80a"},
    {"InstanceMapping", "1.2-1378258ef1182f91"},
    {"InstanceNUMACell", "1.6-edf5b8e5bf240d42"},
    {"InstanceNUMACellPayload", "1.2-c736970b2d85d85f"},
    {"InstanceNUMATopology", "1.3-84e3442e0dcce6de"},
    {"InstanceNUMATopologyPayload", "1.0-047886f22d9ed4cd"},
    {"InstancePCIRequest", "1.4-3717b454542a860b"},
    {"InstancePCIRequestPayload", "1.1-fafbc99186189c70"},
    {"InstancePCIRequests", "1.1-920343828b0f0a31"},
    {"InstancePCIRequestsPayload", "1.0-4ca5b4f8d4ef7367"},
    {"Inventory", "1.0-a680142bab95e233"},
    {"IpPayload", "1.0-ef3b5c35ec3c461a"},
    {"KeyPair", "1.4-6ec489c87375a139"},
    {"KeyPairList", "1.3-faf84531549752f7"},
    {"KeypairPayload", "1.0-58fc0f81d251e6ce"},
    {"Migration", "1.7-eb93f1c08a32679d"},
    {"MigrationContext", "1.2-c1d84fcc32cd88ff"},
    {"MigrationList", "1.5-a9489e71e3376a6a"},
    {"NUMATopologyLimits", "1.1-9d9a8ca15561d217"},
    {"NetworkMetadata", "1.0-010866851b91a77f"},
    {"NetworkRequest", "1.3-8c5fd20665cebb95"},
    {"NetworkRequestList", "1.1-d663b9d0126f92a1"},
    {"PciDevice", "1.7-d4aa17c48abf7f0e"},
    {"PciDeviceList", "1.3-a1d9fab28fb4eecc"},
    {"PciDevicePool", "1.1-3f52fd67e08fa512"},
    {"PciDevicePoolList", "1.1-45ac4bb205a0bd3a"},
    {"Quotas", "1.3-dce10cebe98ee093"},
    {"RequestGroup", "1.3-11a04b177905fd44"},
    {"RequestLevelParams", "1.1-259aeaced8c0d36d"},
    {"RequestSpec", "1.14-e50ebd50756adb3f"},
    {"RequestSpecPayload", "1.1-a9aa92fe5029b385"},
    {"Resource", "1.0-a67d56dfc5d00f49"},
    {"ResourceList", "1.0-665eead8dd25f86c"},
    {"ResourceMetadata", "1.0-14650fb0739d0383"},
    {"ResourceProvider", "1.0-c2781022ef052e14"},
    {"SchedulerLimits", "1.0-55d91cea0d3da8ab"},
    {"SchedulerRetries", "1.1-ba78ff11562e8e42"},
    {"SchedulerRetriesPayload", "1.0-eb61e38bcfd19165"},
    {"SecurityGroup", "1.2-5507e2f4f97f86cd"},
    {"SecurityGroupList", "1.1-cc56b21f4289f031"},
    {"Selection", "1.1-d70c575c86b9b7d3"},
    {"ServerGroupPayload", "1.1-7ac50d5e47d1d426"},
    {"Service", "1.22-bd3510766ec53d21"},
    {"ServiceList", "1.19-71c9541b557ad55b"},
    {"ServiceStatusPayload", "1.1-675379a6c14f2167"},
    {"Tag", "1.1-980d5d6ff75a43fc"},
    {"TagList", "1.1-e9ccb4d138050a1a"},
    {"TrustedCerts", "1.0-1f220337cd61a8ac"},
    {"VirtCPUFeature", "1.0-8ee8757ae0dfacf3"},
    {"VirtCPUModel", "1.0-30452324bf230f2b"},
    {"VirtCPUTopology", "1.0-6c9215a7d752ab0c"},
    {"VirtCPUTopologyPayload", "1.0-6c9215a7d752ab0c"},
};

}  // namespace

TEST_CASE("object schemas match their checked-in fingerprints") {
    std::string report;
    for (const auto* type : AllObjectTypes()) {
        auto actual = SchemaFingerprint(*type);
        auto it = kObjectFingerprints.find(type->name());
        if (it == kObjectFingerprints.end() || it->second != actual) {
            report += "    {\"" + type->name() + "\", \"" + actual + "\"},\n";
        }
    }
    for (const auto& [name, fp] : kObjectFingerprints) {
        if (!FindObjectType(name)) report += "    (no longer exists) " + name + "\n";
    }
    INFO("fingerprints that differ (a schema changed: bump its version, then update the table):\n"
         << report);
    CHECK(report.empty());
}

TEST_CASE("the fingerprint follows the schema and the version") {
    const auto* instance = FindObjectType("Instance");
    REQUIRE(instance);
    auto fp = SchemaFingerprint(*instance);
    CHECK(fp.rfind("2.7-", 0) == 0);
    CHECK(fp != SchemaFingerprint(*FindObjectType("InstanceList")));
}

namespace {

// Flavor's schema rebuilt in a private pool after `edit`: what a developer's change to
// flavor.proto would produce.
std::string FingerprintOfEditedFlavor(const std::function<void(google::protobuf::DescriptorProto&)>& edit) {
    google::protobuf::DescriptorPool pool;
    // Dependencies first, then flavor.proto with the edit applied.
    std::function<void(const google::protobuf::FileDescriptor*)> add = [&](const google::protobuf::FileDescriptor* f) {
        if (pool.FindFileByName(f->name())) return;
        for (int i = 0; i < f->dependency_count(); ++i) add(f->dependency(i));
        google::protobuf::FileDescriptorProto proto;
        f->CopyTo(&proto);
        if (f == nova::objects::Flavor::descriptor()->file()) {
            for (auto& m : *proto.mutable_message_type()) {
                if (m.name() == "Flavor") edit(m);
            }
        }
        REQUIRE(pool.BuildFile(proto) != nullptr);
    };
    add(nova::objects::Flavor::descriptor()->file());
    return SchemaFingerprint(*pool.FindMessageTypeByName("nova.objects.Flavor"));
}

}  // namespace

TEST_CASE("any change to a field changes the fingerprint") {
    const auto unchanged = FingerprintOfEditedFlavor([](auto&) {});
    CHECK(unchanged == SchemaFingerprint(*nova::objects::Flavor::descriptor()));
    auto field = [](google::protobuf::DescriptorProto& m, const std::string& name) {
        for (auto& f : *m.mutable_field()) {
            if (f.name() == name) return &f;
        }
        FAIL("no field " << name);
        return static_cast<google::protobuf::FieldDescriptorProto*>(nullptr);
    };
    std::set<std::string> seen{unchanged};
    auto differs = [&](const std::string& what, auto edit) {
        auto fp = FingerprintOfEditedFlavor(edit);
        CHECK_MESSAGE(!seen.contains(fp), what);
        seen.insert(fp);
    };
    differs("a new field", [](auto& m) {
        auto* f = m.add_field();
        f->set_name("new_field");
        f->set_number(20);
        f->set_type(google::protobuf::FieldDescriptorProto::TYPE_STRING);
        f->set_label(google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
    });
    differs("a field's type", [&](auto& m) {
        field(m, "vcpus")->set_type(google::protobuf::FieldDescriptorProto::TYPE_STRING);
    });
    differs("a field's name", [&](auto& m) { field(m, "swap")->set_name("swap_mb"); });
    differs("nullability", [&](auto& m) {
        field(m, "vcpus")->mutable_options()->SetExtension(nova::objects::nullable, true);
    });
    differs("the Nova type", [&](auto& m) {
        field(m, "flavorid")->mutable_options()->SetExtension(nova::objects::nova_type, "UUIDField");
    });
    differs("a field's version", [&](auto& m) {
        field(m, "description")->mutable_options()->SetExtension(nova::objects::since, "1.1");
    });
    differs("a removed field", [](auto& m) {
        for (int i = 0; i < m.field_size(); ++i) {
            if (m.field(i).name() == "projects") m.mutable_field()->DeleteSubrange(i, 1);
        }
    });
    // The state field is bookkeeping, not schema.
    CHECK(FingerprintOfEditedFlavor([](auto& m) { m.mutable_field()->RemoveLast(); }) == unchanged);
    // The version is part of it: bumping the version is what makes the table line change.
    differs("the object version", [](auto& m) {
        m.mutable_options()->SetExtension(nova::objects::obj_version, "1.3");
    });
}
