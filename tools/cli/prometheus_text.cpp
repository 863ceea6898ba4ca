#include "prometheus_text.hpp"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace cli {

std::string prometheus_text(const prometheus::Registry& registry)
{
    prometheus::TextSerializer serializer;
    return serializer.Serialize(registry.Collect());
}

} // namespace cli
