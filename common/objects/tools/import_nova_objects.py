#!/usr/bin/python3
"""Bootstraps common/objects/proto/nova/objects/*.proto from Nova's own object declarations.

Reads nova/objects/*.py and nova/notifications/objects/*.py at a tag of the Nova git mirror
(Python's ast, nothing is imported or executed), follows the object graph from a set of root
objects, and writes one .proto per Nova module with, per message, the object's name and
version and, per field, Nova's field type, nullability and the version that introduced it.

The version that introduced a field is read from obj_make_compatible: a field that is removed
under `if target_version < (X, Y)` was introduced in X.Y; every other field is as old as the
object's major version. The protos are the source of truth once written: this tool is how they
were made and how a later Nova release can be compared with them, not part of the build.

    common/objects/tools/import_nova_objects.py /work/.mirror/openstack+nova/repo 26.2.2 OUTDIR
"""
import ast
import os
import subprocess
import sys

ROOTS = [
    # What the services persist and send (issue #4), and what Nova Zed puts on the wire.
    'Instance', 'InstanceList', 'Flavor', 'Service', 'ComputeNode', 'RequestSpec',
    'BuildRequest', 'InstanceMapping', 'CellMapping', 'HostMapping', 'Migration',
    'MigrationList', 'InstanceAction', 'InstanceActionEvent', 'KeyPair', 'KeyPairList',
    'InstanceGroup', 'Aggregate', 'Quotas', 'Selection', 'InstanceFault',
    'BlockDeviceMapping', 'BlockDeviceMappingList', 'ImageMeta', 'NetworkRequestList',
    'SecurityGroupList', 'PciDeviceList', 'PciDevicePoolList', 'HVSpec', 'TagList',
    'InstanceInfoCache', 'SchedulerLimits', 'RequestLevelParams', 'EC2Ids',
    'InstancePCIRequests',
    # Versioned notification payloads seen in the recorded Zed traffic.
    'ComputeTaskPayload', 'ExceptionPayload', 'FlavorPayload', 'ImageMetaPayload',
    'ImageMetaPropsPayload', 'InstanceActionPayload', 'InstanceCreatePayload',
    'InstancePCIRequestsPayload', 'RequestSpecPayload', 'ServiceStatusPayload',
]
# Bases of the object hierarchy, not objects themselves.
SKIP_BASES = {'NovaObject', 'NovaPersistentObject', 'NovaObjectDictCompat', 'ObjectListBase',
              'NovaEphemeralObject', 'NotificationPayloadBase', 'NotificationObject',
              'ComplexQueryMixin', 'NovaTimestampObject', 'object', 'Exception'}

STRINGLIKE = {'StringField', 'SensitiveStringField', 'UUIDField', 'EnumField', 'IPAddressField',
              'IPV4AddressField', 'IPV6AddressField', 'IPNetworkField', 'IPV4NetworkField',
              'IPV6NetworkField', 'MACAddressField', 'PCIAddressField', 'ResourceClassField',
              'NetworkModelField', 'NetworkVIFModelField', 'VersionPredicateField',
              'USBAddressField', 'SCSIAddressField', 'IDEAddressField', 'XenAddressField',
              'IPV4AndV6AddressField', 'UUIDField', 'NotificationPriorityField',
              'String', 'UUID', 'Enum', 'SensitiveString', 'IPAddress', 'IPV4Address',
              'IPV6Address', 'IPV4AndV6Address', 'MACAddress', 'PCIAddress',
              'ResourceClass', 'NetworkModel', 'BaseNovaEnum'}
INTLIKE = {'IntegerField', 'NonNegativeIntegerField', 'Integer', 'NonNegativeInteger'}
FLOATLIKE = {'FloatField', 'NonNegativeFloatField', 'Float', 'NonNegativeFloat'}
BOOLLIKE = {'BooleanField', 'FlexibleBooleanField', 'Boolean', 'FlexibleBoolean'}


def git_show(repo, tag, path):
    return subprocess.run(['git', '-C', repo, 'show', f'{tag}:{path}'], check=True,
                          capture_output=True, text=True).stdout


def git_ls(repo, tag, path):
    out = subprocess.run(['git', '-C', repo, 'ls-tree', '--name-only', f'{tag}', path + '/'],
                         check=True, capture_output=True, text=True).stdout
    return [p for p in out.split() if p.endswith('.py')]


def callee(node):
    f = node.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return '?'


def kw(node, name, default=None):
    for k in node.keywords:
        if k.arg == name:
            return k.value
    return default


class Field:
    def __init__(self, name, kind, nova_type, nullable, ref=None, elem=None):
        self.name, self.kind, self.nova_type = name, kind, nova_type
        self.nullable, self.ref, self.elem = nullable, ref, elem
        self.since = None


def field_from(name, node, enum_classes):
    """kind: string|int|float|bool|datetime|object|objlist|strmap|nstrmap|intmap|strlist|
    intlist|json; ref: the object name for object/objlist."""
    if not isinstance(node, ast.Call):
        raise ValueError(f'{name}: not a call')
    t = callee(node)
    nullable = isinstance(kw(node, 'nullable'), ast.Constant) and kw(node, 'nullable').value
    if t == 'Field' and node.args:
        inner = node.args[0]
        kind, ref = type_kind(inner, enum_classes)
        return Field(name, kind, 'Field(' + ast.unparse(inner) + ')', nullable, ref)
    kind, ref = type_kind(node, enum_classes)
    return Field(name, kind, t, nullable, ref)


def type_kind(node, enum_classes):
    t = callee(node) if isinstance(node, ast.Call) else '?'
    args = node.args if isinstance(node, ast.Call) else []
    if t in ('ObjectField', 'Object'):
        return 'object', args[0].value
    if t == 'ListOfObjectsField':
        return 'objlist', args[0].value
    if t == 'List' and args and callee(args[0]) == 'Object':
        return 'objlist', args[0].args[0].value
    if t in STRINGLIKE or t.endswith('EnumField') or t in enum_classes:
        return 'string', None
    if t in INTLIKE:
        return 'int', None
    if t in FLOATLIKE:
        return 'float', None
    if t in BOOLLIKE:
        return 'bool', None
    if t in ('DateTimeField', 'DateTime'):
        return 'datetime', None
    if t == 'DictOfStringsField':
        return 'strmap', None
    if t == 'DictOfNullableStringsField':
        return 'nstrmap', None
    if t == 'DictOfIntegersField':
        return 'intmap', None
    if t in ('ListOfStringsField', 'ListOfUUIDField', 'SetOfStringsField'):
        return 'strlist', None
    if t in ('ListOfIntegersField', 'SetOfIntegersField'):
        return 'intlist', None
    if t == 'Dict' and args and callee(args[0]) in STRINGLIKE:
        return 'nstrmap' if kw(args[0], 'nullable') else 'strmap', None
    if t == 'List' and args and callee(args[0]) in STRINGLIKE:
        return 'strlist', None
    if t == 'List' and args and callee(args[0]) in INTLIKE:
        return 'intlist', None
    # Nested containers (dict of lists, list of sets, list of dicts...): kept as JSON values.
    return 'json', None


def since_from_make_compatible(fn, field_names):
    """field -> (major, minor) for fields deleted under `target_version < (X, Y)`."""
    found = {}

    def visit(stmts, bound):
        for st in stmts:
            if isinstance(st, ast.If):
                b = version_bound(st.test)
                if b:
                    visit(st.body, b)
                elif is_presence_check(st.test):
                    visit(st.body, bound)
                else:
                    # Removed only for some values (hw_watchdog_action='disabled'): the
                    # field itself is older.
                    visit(st.body, None)
                visit(st.orelse, bound)
            elif isinstance(st, (ast.For, ast.With)):
                visit(st.body, bound)
            elif bound:
                for sub in ast.walk(st):
                    removes = (isinstance(sub, ast.Delete) or
                               (isinstance(sub, ast.Call) and callee(sub) == 'pop'))
                    if not removes:
                        continue
                    for c in ast.walk(sub):
                        if isinstance(c, ast.Constant) and c.value in field_names:
                            found.setdefault(c.value, bound)
    def is_presence_check(test):
        return (isinstance(test, ast.Compare) and isinstance(test.ops[0], ast.In) and
                isinstance(test.left, ast.Constant))

    def version_bound(test):
        for sub in ast.walk(test):
            if (isinstance(sub, ast.Compare) and isinstance(sub.ops[0], ast.Lt) and
                    isinstance(sub.comparators[0], ast.Tuple)):
                elts = sub.comparators[0].elts
                if len(elts) == 2 and all(isinstance(e, ast.Constant) for e in elts):
                    return (elts[0].value, elts[1].value)
        return None

    visit(fn.body, None)
    # `for key in ('a', 'b'): primitive.pop(key)` inside a version block
    for node in ast.walk(fn):
        if isinstance(node, ast.If):
            b = version_bound(node.test)
            if not b:
                continue
            for sub in ast.walk(node):
                if isinstance(sub, ast.For) and isinstance(sub.iter, (ast.Tuple, ast.List)):
                    for e in sub.iter.elts:
                        if isinstance(e, ast.Constant) and e.value in field_names:
                            found.setdefault(e.value, b)
    return found


def main():
    repo, tag, outdir = sys.argv[1:4]
    classes = {}  # name -> (module, ClassDef)
    enum_classes = set()
    for path in git_ls(repo, tag, 'nova/objects') + git_ls(repo, tag, 'nova/notifications/objects'):
        module = os.path.basename(path)[:-3]
        if 'notifications' in path:
            module = 'notification_' + module
        tree = ast.parse(git_show(repo, tag, path))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                bases = [b.attr if isinstance(b, ast.Attribute) else getattr(b, 'id', '?')
                         for b in node.bases]
                classes.setdefault(node.name, (module, node, bases))
                if any(b in ('BaseNovaEnum', 'Enum', 'BaseEnumField', 'AutoTypedField',
                             'StringPattern', 'FieldType') for b in bases):
                    enum_classes.add(node.name)

    def class_attr(cls, attr):
        for st in cls.body:
            if isinstance(st, ast.Assign) and any(getattr(t, 'id', None) == attr for t in st.targets):
                return st.value
        return None

    def fields_of(name):
        module, cls, bases = classes[name]
        out = {}
        for b in bases:  # fields merge along the MRO (oslo.versionedobjects does the same)
            if b in classes and b not in SKIP_BASES:
                for k, v in fields_of(b).items():
                    out.setdefault(k, v)
        own = class_attr(cls, 'fields')
        merged = {}
        if isinstance(own, ast.Dict):
            for k, v in zip(own.keys, own.values):
                merged[k.value] = field_from(k.value, v, enum_classes)
        for k, v in out.items():
            merged.setdefault(k, v)
        # NovaPersistentObject's fields come last, as in Nova
        if 'NovaPersistentObject' in bases:
            for n in ('created_at', 'updated_at', 'deleted_at'):
                merged.setdefault(n, Field(n, 'datetime', 'DateTimeField', True))
            merged.setdefault('deleted', Field('deleted', 'bool', 'BooleanField', False))
        if 'NovaTimestampObject' in bases:
            for n in ('created_at', 'updated_at'):
                merged.setdefault(n, Field(n, 'datetime', 'DateTimeField', True))
        return merged

    def make_compat_fn(name):
        _, cls, _ = classes[name]
        for st in cls.body:
            if isinstance(st, ast.FunctionDef) and st.name == 'obj_make_compatible':
                return st
        return None

    todo, done, objs = list(ROOTS), set(), {}
    while todo:
        name = todo.pop()
        if name in done:
            continue
        done.add(name)
        module, cls, bases = classes[name]
        ver = class_attr(cls, 'VERSION')
        version = ver.value if isinstance(ver, ast.Constant) else '1.0'
        fields = fields_of(name)
        fn = make_compat_fn(name)
        since = since_from_make_compatible(fn, set(fields)) if fn else {}
        major = version.split('.')[0]
        for f in fields.values():
            f.since = '%d.%d' % since[f.name] if f.name in since else major + '.0'
            if f.ref:
                todo.append(f.ref)
        objs[name] = (module, version, fields)
    write_protos(objs, outdir)


PROTO_SCALAR = {'string': 'string', 'int': 'int64', 'float': 'double', 'bool': 'bool'}


def proto_type(f, modules_needed, objs, module):
    if f.kind in PROTO_SCALAR:
        return 'optional ' + PROTO_SCALAR[f.kind]
    if f.kind == 'datetime':
        modules_needed.add('google/protobuf/timestamp.proto')
        return 'google.protobuf.Timestamp'
    if f.kind in ('object', 'objlist'):
        ref_module = objs[f.ref][0]
        if ref_module != module:
            modules_needed.add(f'nova/objects/{ref_module}.proto')
        return ('repeated ' if f.kind == 'objlist' else '') + f.ref
    if f.kind in ('strmap', 'nstrmap'):
        return 'map<string, string>'
    if f.kind == 'intmap':
        return 'map<string, int64>'
    if f.kind == 'strlist':
        return 'repeated string'
    if f.kind == 'intlist':
        return 'repeated int64'
    modules_needed.add('google/protobuf/struct.proto')
    return 'google.protobuf.Value'


def write_protos(objs, outdir):
    by_module = {}
    for name, (module, version, fields) in sorted(objs.items()):
        by_module.setdefault(module, []).append((name, version, fields))
    for module, items in by_module.items():
        imports = {'nova/objects/options.proto'}
        body = []
        for name, version, fields in items:
            body.append(f'message {name} {{')
            body.append(f'    option (obj_version) = "{version}";')
            for i, f in enumerate(fields.values(), start=1):
                t = proto_type(f, imports, objs, module)
                opts = [f'(since) = "{f.since}"', f'(nova_type) = "{f.nova_type}"']
                if f.nullable:
                    opts.append('(nullable) = true')
                body.append(f'    {t} {f.name} = {i} [{", ".join(opts)}];')
            imports.add('nova/objects/object_state.proto')
            body.append('    ObjectState obj_state = 1000;')
            body.append('}')
            body.append('')
        with open(os.path.join(outdir, module + '.proto'), 'w') as out:
            out.write('// Nova Zed (26.2.2) objects of nova/objects/%s.py, as protobuf messages.\n'
                      % module.replace('notification_', '../notifications/objects/'))
            out.write('// Bootstrapped by common/objects/tools/import_nova_objects.py; edit by '
                      'hand since.\n')
            out.write('// Changing a field means a version bump: see docs/data.md.\n')
            out.write('syntax = "proto3";\n\npackage nova.objects;\n\n')
            for imp in sorted(imports):
                out.write(f'import "{imp}";\n')
            out.write('\n' + '\n'.join(body))


if __name__ == '__main__':
    main()
