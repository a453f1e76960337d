#!/usr/bin/python3
"""oslo.messaging 14 (Debian) peer for nova-cpp's interop tests. Run with /usr/bin/python3.

  oslo_peer.py server URL EXCHANGE TOPIC SERVER   RPC server; prints READY, stops on a
                                                  'shutdown' cast (or after 120 s)
  oslo_peer.py client URL EXCHANGE TOPIC SERVER   calls/casts a nova-cpp server, prints one
                                                  JSON line of results
  oslo_peer.py listen URL EXCHANGE TOPIC          notification listener; prints READY, then
                                                  the first notification as one JSON line
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from oslo_config import cfg  # noqa: E402
import oslo_messaging  # noqa: E402

import nova.exception  # noqa: E402  (the stand-in next to this script)


def make_conf(exchange):
    conf = cfg.ConfigOpts()
    conf([], project='peer', default_config_files=[], default_config_dirs=[])
    from oslo_messaging._metrics import client as _mc
    conf.register_opts(_mc.oslo_messaging_metrics, group='oslo_messaging_metrics')
    oslo_messaging.set_transport_defaults(control_exchange=exchange)
    return conf


class DictSerializer(oslo_messaging.Serializer):
    def serialize_entity(self, ctxt, entity):
        return entity

    def deserialize_entity(self, ctxt, entity):
        return entity

    def serialize_context(self, ctxt):
        return ctxt

    def deserialize_context(self, ctxt):
        return ctxt


def context():
    return {'user_id': 'py-user', 'project_id': 'py-project',
            'request_id': 'req-00000000-0000-0000-0000-0000000000c1',
            'global_request_id': 'req-00000000-0000-0000-0000-0000000000c2',
            'roles': ['member'], 'is_admin': False, 'read_deleted': 'no'}


class Manager(object):
    target = oslo_messaging.Target(version='6.2')

    def __init__(self, name, stop):
        self.name = name
        self.stop = stop
        self.casts = []

    def echo(self, ctxt, **kwargs):
        return {'host': self.name, 'args': kwargs,
                'global_request_id': ctxt.get('global_request_id')}

    def note(self, ctxt, **kwargs):
        self.casts.append(kwargs)

    def casts_seen(self, ctxt):
        return self.casts

    def fail_nova(self, ctxt):
        raise nova.exception.InstanceNotFound(instance_id='i-py')

    def fail_builtin(self, ctxt):
        raise ValueError('bad value from python')

    def shutdown(self, ctxt):
        self.stop.set()


class BaseAPI(object):
    target = oslo_messaging.Target(namespace='baseapi', version='1.1')

    def ping(self, ctxt, arg):
        return {'service': 'python-peer', 'arg': arg}


def run_server(url, exchange, topic, server):
    conf = make_conf(exchange)
    transport = oslo_messaging.get_rpc_transport(conf, url=url)
    stop = threading.Event()
    rpc = oslo_messaging.get_rpc_server(
        transport, oslo_messaging.Target(topic=topic, server=server),
        [Manager(server, stop), BaseAPI()], executor='threading',
        serializer=DictSerializer())
    rpc.start()
    print('READY', flush=True)
    stop.wait(120)
    rpc.stop()
    rpc.wait()
    transport.cleanup()
    print('STOPPED', flush=True)


def outcome(fn):
    try:
        return {'ok': fn()}
    except Exception as e:  # noqa: BLE001 - we report whatever was raised
        return {'error': type(e).__name__, 'module': type(e).__module__,
                'exc_type': getattr(e, 'exc_type', None), 'str': str(e).split('\n')[0]}


def run_client(url, exchange, topic, server):
    conf = make_conf(exchange)
    transport = oslo_messaging.get_rpc_transport(
        conf, url=url, allowed_remote_exmods=['nova.exception'])
    target = oslo_messaging.Target(topic=topic, version='6.0')
    client = oslo_messaging.RPCClient(transport, target, serializer=DictSerializer(),
                                      timeout=10)
    direct = client.prepare(server=server)
    ctxt = context()
    r = {}
    r['call'] = outcome(lambda: direct.call(ctxt, 'echo', x=1, s='ü'))
    r['call_topic'] = outcome(lambda: client.call(ctxt, 'echo', y=2))
    r['cast'] = outcome(lambda: direct.cast(ctxt, 'note', n=1))
    r['fanout'] = outcome(lambda: client.prepare(fanout=True).cast(ctxt, 'note', n=2))
    r['ping'] = outcome(lambda: client.prepare(server=server, namespace='baseapi',
                                               version='1.1').call(ctxt, 'ping', arg='hi'))
    r['too_new'] = outcome(lambda: direct.prepare(version='6.3').call(ctxt, 'echo'))
    r['major'] = outcome(lambda: direct.prepare(version='5.0').call(ctxt, 'echo'))
    r['unknown'] = outcome(lambda: direct.call(ctxt, 'no_such_method'))
    r['remote_nova'] = outcome(lambda: direct.call(ctxt, 'fail'))
    r['remote_other'] = outcome(lambda: direct.call(ctxt, 'fail_std'))
    r['timeout'] = outcome(lambda: client.prepare(server='nobody', timeout=1).call(ctxt, 'echo'))
    time.sleep(0.5)
    r['casts_seen'] = outcome(lambda: direct.call(ctxt, 'casts_seen'))
    print(json.dumps(r), flush=True)
    transport.cleanup()


class NotificationEndpoint(object):
    def __init__(self, done):
        self.done = done

    def _got(self, ctxt, publisher_id, event_type, payload, metadata, priority):
        print(json.dumps({'priority': priority, 'publisher_id': publisher_id,
                          'event_type': event_type, 'payload': payload,
                          'request_id': ctxt.get('request_id')}), flush=True)
        self.done.set()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self._got(ctxt, publisher_id, event_type, payload, metadata, 'INFO')

    def error(self, ctxt, publisher_id, event_type, payload, metadata):
        self._got(ctxt, publisher_id, event_type, payload, metadata, 'ERROR')


def run_listener(url, exchange, topic):
    conf = make_conf(exchange)
    transport = oslo_messaging.get_notification_transport(conf, url=url)
    done = threading.Event()
    listener = oslo_messaging.get_notification_listener(
        transport, [oslo_messaging.Target(topic=topic)], [NotificationEndpoint(done)],
        executor='threading')
    listener.start()
    print('READY', flush=True)
    if not done.wait(30):
        print(json.dumps({'error': 'no notification'}), flush=True)
    listener.stop()
    listener.wait()
    transport.cleanup()


def main():
    import logging
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    mode = sys.argv[1]
    if mode == 'server':
        run_server(*sys.argv[2:6])
    elif mode == 'client':
        run_client(*sys.argv[2:6])
    elif mode == 'listen':
        run_listener(*sys.argv[2:5])
    else:
        sys.exit('unknown mode ' + mode)


if __name__ == '__main__':
    main()
