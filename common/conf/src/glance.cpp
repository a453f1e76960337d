#include "nova/conf/glance.hpp"

namespace nova::conf {

void GlanceOptions::Declare(Schema<GlanceOptions>& s) {
    s.Opt("api_servers", &GlanceOptions::api_servers,
          "Glance API endpoints (http://host:port[/path]); requests go to them in random "
          "order, moving on to the next one when one cannot be reached. Unset: no Glance; "
          "local_catalog_file must then name the local image catalog.");
    s.Opt("num_retries", &GlanceOptions::num_retries, 3,
          "Retries of a Glance request that could not reach a server. 0 means no retries.")
        .Min(0);
    s.Opt("request_timeout", &GlanceOptions::request_timeout, 30,
          "nova-cpp: seconds one request to Glance may take before it is abandoned.")
        .Min(1);
    s.Opt("local_catalog_file", &GlanceOptions::local_catalog_file,
          "nova-cpp: a JSON file of image records ({\"images\": [...]}, each shaped as Glance "
          "v2 shows an image) used instead of Glance when api_servers is unset. nova-api "
          "then also serves these records read-only through the Glance v2 API on "
          "local_api_listen:local_api_listen_port, so that clients can look images up.");
    s.Opt("local_api_listen", &GlanceOptions::local_api_listen, std::string("0.0.0.0"),
          "nova-cpp: IP address of nova-api's read-only Glance v2 endpoint (used only with "
          "local_catalog_file).");
    s.Opt("local_api_listen_port", &GlanceOptions::local_api_listen_port, 9292,
          "nova-cpp: port of nova-api's read-only Glance v2 endpoint (0: any free port, "
          "logged at startup).")
        .Port();
}

}  // namespace nova::conf
