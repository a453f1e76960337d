#include "nova/db/instance_action_store.hpp"

#include <google/protobuf/timestamp.pb.h>

#include "nova/common/error.hpp"
#include "object_table.hpp"

namespace nova::db {

namespace {

const detail::ObjectTable& Actions() {
    static const detail::ObjectTable t("instance_actions", *objects::InstanceAction::descriptor(),
                                       {"id", "action", "instance_uuid", "request_id", "user_id",
                                        "project_id", "start_time", "finish_time", "message",
                                        "created_at", "updated_at", "deleted_at", "deleted"});
    return t;
}

const detail::ObjectTable& Events() {
    static const detail::ObjectTable t("instance_actions_events", *objects::InstanceActionEvent::descriptor(),
                                       {"id", "event", "action_id", "start_time", "finish_time",
                                        "result", "traceback", "host", "details", "created_at",
                                        "updated_at", "deleted_at", "deleted"});
    return t;
}

const detail::ObjectTable& Faults() {
    static const detail::ObjectTable t("instance_faults", *objects::InstanceFault::descriptor(),
                                       {"id", "instance_uuid", "code", "message", "details", "host",
                                        "created_at", "updated_at", "deleted_at", "deleted"});
    return t;
}

void SetTime(google::protobuf::Timestamp& ts, WallTime t) {
    ts.set_seconds(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
    ts.set_nanos(0);
}

objects::InstanceAction ActionIn(Session& s, const std::string& instance_uuid, const std::string& request_id) {
    auto rows = s.Query(Actions().Select("WHERE `instance_uuid` = ? AND `request_id` = ? AND `deleted` = 0"
                                         " ORDER BY `id` DESC LIMIT 1"),
                        {instance_uuid, request_id});
    if (rows.empty()) {
        throw InstanceActionNotFound({{"request_id", request_id}, {"instance_uuid", instance_uuid}});
    }
    return detail::LoadAll<objects::InstanceAction>(Actions(), rows).front();
}

}  // namespace

void InstanceActionStore::ActionStart(objects::InstanceAction& action) {
    auto now = detail::FloorNow(clock_);
    if (!action.has_start_time()) SetTime(*action.mutable_start_time(), now);
    pool_.AutoCommit([&](Session& s) {
        action.set_id(Actions().Insert(s, action, now, {{"deleted", std::int64_t{0}}}));
    });
    objects::ResetChanges(action);
}

objects::InstanceAction InstanceActionStore::ActionFinish(const std::string& instance_uuid,
                                                          const std::string& request_id) {
    auto now = detail::FloorNow(clock_);
    return pool_.Transaction([&](Session& s) {
        auto action = ActionIn(s, instance_uuid, request_id);
        SetTime(*action.mutable_finish_time(), now);
        Actions().Update(s, action, {"finish_time"}, now, "`id` = ?", {action.id()});
        objects::ResetChanges(action);
        return action;
    });
}

objects::InstanceAction InstanceActionStore::GetByRequestId(const std::string& instance_uuid,
                                                            const std::string& request_id) {
    return pool_.Transaction([&](Session& s) { return ActionIn(s, instance_uuid, request_id); });
}

std::vector<objects::InstanceAction> InstanceActionStore::GetByInstanceUuid(const std::string& instance_uuid) {
    return detail::LoadAll<objects::InstanceAction>(
        Actions(), pool_.Query(Actions().Select("WHERE `instance_uuid` = ? AND `deleted` = 0"
                                                " ORDER BY `created_at` DESC, `id` DESC"),
                               {instance_uuid}));
}

objects::InstanceActionEvent InstanceActionStore::EventStart(const std::string& instance_uuid,
                                                             const std::string& request_id,
                                                             const std::string& event,
                                                             const std::optional<std::string>& host) {
    auto now = detail::FloorNow(clock_);
    return pool_.Transaction([&](Session& s) {
        auto action = ActionIn(s, instance_uuid, request_id);
        objects::InstanceActionEvent e;
        e.set_event(event);
        e.set_action_id(action.id());
        SetTime(*e.mutable_start_time(), now);
        if (host) e.set_host(*host);
        e.set_id(Events().Insert(s, e, now, {{"deleted", std::int64_t{0}}}));
        objects::ResetChanges(e);
        return e;
    });
}

objects::InstanceActionEvent InstanceActionStore::EventFinish(const std::string& instance_uuid,
                                                              const std::string& request_id,
                                                              const std::string& event,
                                                              const std::string& result,
                                                              const std::optional<std::string>& traceback) {
    auto now = detail::FloorNow(clock_);
    return pool_.Transaction([&](Session& s) {
        auto action = ActionIn(s, instance_uuid, request_id);
        auto rows = s.Query(Events().Select("WHERE `action_id` = ? AND `event` = ? AND `deleted` = 0"
                                            " ORDER BY `id` DESC LIMIT 1"),
                            {action.id(), event});
        if (rows.empty()) {
            throw InstanceActionEventNotFound({{"action_id", action.id()}, {"event", event}});
        }
        auto e = detail::LoadAll<objects::InstanceActionEvent>(Events(), rows).front();
        SetTime(*e.mutable_finish_time(), now);
        e.set_result(result);
        std::set<std::string> fields{"finish_time", "result"};
        if (traceback) {
            e.set_traceback(*traceback);
            fields.insert("traceback");
        }
        Events().Update(s, e, fields, now, "`id` = ?", {e.id()});
        if (result == "Error") {
            // Nova marks the action failed when one of its events fails.
            s.Execute("UPDATE `instance_actions` SET `message` = 'Error', `updated_at` = ? WHERE `id` = ?",
                      {now, action.id()});
        }
        objects::ResetChanges(e);
        return e;
    });
}

namespace {

// The newest live action of (instance_uuid, request_id), as ActionIn picks it, as a derived
// table of one row (its `id`) to join; two parameters. (Compared with `=` as a scalar
// subquery, MariaDB does not evaluate it before planning: it scanned the outer table.)
constexpr const char* kActionIdOfRequest =
    "(SELECT `a`.`id` FROM `instance_actions` `a` WHERE `a`.`instance_uuid` = ? AND `a`.`request_id` = ?"
    " AND `a`.`deleted` = 0 ORDER BY `a`.`id` DESC LIMIT 1)";

}  // namespace

void InstanceActionStore::RecordEventStart(const std::string& instance_uuid, const std::string& request_id,
                                           const std::string& event, const std::optional<std::string>& host) {
    auto now = detail::FloorNow(clock_);
    static const std::string sql =
        "INSERT INTO `instance_actions_events` (`event`, `action_id`, `start_time`, `host`, `created_at`,"
        " `deleted`) SELECT ?, `act`.`id`, ?, ?, ?, 0 FROM " +
        std::string(kActionIdOfRequest) + " `act`";
    const auto inserted = pool_.AutoCommit([&](Session& s) {
        return s.Execute(sql, {event, now, host ? Param(*host) : Param(nullptr), now, instance_uuid, request_id});
    });
    if (inserted == 0) {
        throw InstanceActionNotFound({{"request_id", request_id}, {"instance_uuid", instance_uuid}});
    }
}

void InstanceActionStore::RecordEventFinish(const std::string& instance_uuid, const std::string& request_id,
                                            const std::string& event, const std::string& result,
                                            const std::optional<std::string>& traceback) {
    if (result == "Error") {
        // The action is marked failed too: two writes, one transaction (a failure is rare).
        EventFinish(instance_uuid, request_id, event, result, traceback);
        return;
    }
    auto now = detail::FloorNow(clock_);
    // The newest live event of that name of the action, as EventFinish picks it: a derived
    // table of one row (MariaDB reads it before it updates the table it comes from) joined to
    // the event by its id (a `WHERE id = (SELECT ...)` form scanned the whole table).
    const std::string sql =
        std::string("UPDATE `instance_actions_events` `t` JOIN (SELECT `e`.`id` FROM `instance_actions_events` `e`"
                    " JOIN ") +
        kActionIdOfRequest +
        " `act` ON `e`.`action_id` = `act`.`id` WHERE `e`.`event` = ? AND `e`.`deleted` = 0"
        " ORDER BY `e`.`id` DESC LIMIT 1) `latest` ON `t`.`id` = `latest`.`id`"
        " SET `t`.`finish_time` = ?, `t`.`result` = ?, " +
        (traceback ? "`t`.`traceback` = ?, " : "") + "`t`.`updated_at` = ?";
    Params params{instance_uuid, request_id, event, now, result};
    if (traceback) params.emplace_back(*traceback);
    params.emplace_back(now);
    const auto matched = pool_.AutoCommit([&](Session& s) { return s.Execute(sql, params); });
    if (matched == 0) {
        // Which one is missing: the action, or its event.
        auto action = GetByRequestId(instance_uuid, request_id);
        throw InstanceActionEventNotFound({{"action_id", action.id()}, {"event", event}});
    }
}

std::vector<objects::InstanceActionEvent> InstanceActionStore::GetEvents(std::int64_t action_id) {
    return detail::LoadAll<objects::InstanceActionEvent>(
        Events(), pool_.Query(Events().Select("WHERE `action_id` = ? AND `deleted` = 0 ORDER BY `id`"), {action_id}));
}

void InstanceFaultStore::Create(objects::InstanceFault& fault) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        fault.set_id(Faults().Insert(s, fault, now, {{"deleted", std::int64_t{0}}}));
    });
    fault.set_deleted(false);
    objects::ResetChanges(fault);
}

std::optional<objects::InstanceFault> InstanceFaultStore::GetLatestForInstance(const std::string& instance_uuid) {
    auto rows = pool_.Query(Faults().Select("WHERE `instance_uuid` = ? AND `deleted` = 0"
                                            " ORDER BY `created_at` DESC, `id` DESC LIMIT 1"),
                            {instance_uuid});
    if (rows.empty()) return std::nullopt;
    return detail::LoadAll<objects::InstanceFault>(Faults(), rows).front();
}

}  // namespace nova::db
