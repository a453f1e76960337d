#pragma once
// Test helper: gives every field of an object (and of its child objects, a few levels deep) a
// value, by reflection, so that codec and MakeCompatible tests cover every field of every type.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include "nova/objects/object.hpp"

namespace nova::objects::testing {

inline void FillAll(Message& m, int depth = 3) {
    const auto* r = m.GetReflection();
    for (const auto* f : ObjectFields(*m.GetDescriptor())) {
        const std::string tag = "v-" + f->name();
        if (f->is_map()) {
            auto* entry = r->AddMessage(&m, f);
            const auto* ed = entry->GetDescriptor();
            entry->GetReflection()->SetString(entry, ed->map_key(), "key-" + f->name());
            const auto* vf = ed->map_value();
            if (vf->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
                entry->GetReflection()->SetString(entry, vf, tag);
            } else {
                entry->GetReflection()->SetInt64(entry, vf, 42);
            }
            continue;
        }
        switch (f->cpp_type()) {
            case FieldDescriptor::CPPTYPE_STRING:
                if (f->is_repeated()) {
                    r->AddString(&m, f, tag);
                    r->AddString(&m, f, tag + "-2");
                } else {
                    r->SetString(&m, f, tag);
                }
                break;
            case FieldDescriptor::CPPTYPE_INT64:
                if (f->is_repeated()) {
                    r->AddInt64(&m, f, 3);
                    r->AddInt64(&m, f, 5);
                } else {
                    r->SetInt64(&m, f, 1000 + f->number());
                }
                break;
            case FieldDescriptor::CPPTYPE_DOUBLE:
                r->SetDouble(&m, f, 1.5);
                break;
            case FieldDescriptor::CPPTYPE_BOOL:
                r->SetBool(&m, f, true);
                break;
            case FieldDescriptor::CPPTYPE_MESSAGE: {
                if (f->message_type() == google::protobuf::Timestamp::descriptor()) {
                    auto* ts = static_cast<google::protobuf::Timestamp*>(r->MutableMessage(&m, f));
                    ts->set_seconds(1764060792);
                } else if (f->message_type() == google::protobuf::Value::descriptor()) {
                    auto* v = static_cast<google::protobuf::Value*>(r->MutableMessage(&m, f));
                    v->mutable_list_value()->add_values()->set_number_value(2);
                    v->mutable_list_value()->add_values()->set_string_value(tag);
                } else if (depth > 0) {
                    auto* child = f->is_repeated() ? r->AddMessage(&m, f) : r->MutableMessage(&m, f);
                    FillAll(*child, depth - 1);
                }
                break;
            }
            default:
                break;
        }
    }
}

}  // namespace nova::objects::testing
