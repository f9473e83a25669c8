// The run file (docs/run-file.md), written with HDF5's C API.
//
// Every HDF5 identifier lives in an h5_handle (RAII). Every call is checked (hdf5_checker); a
// failure throws run_error "cannot write <path>: <what failed> (HDF5: <innermost message of the
// error stack>)". HDF5's own printing of error stacks is switched off (hdf5_quiet) for the
// duration of each call into this file and restored afterwards.
//
// Atomicity: the file is written as "<path>.tmp.<pid>" in the same directory, closed, fsync'ed
// and renamed onto <path>. On any failure the handles are closed and the temporary file removed,
// so <path> is either the previous file (untouched) or the new, complete one.
#include "core/io/run_file.hpp"

#include "core/base/error.hpp"
#include "core/io/hdf5_strings.hpp"
#include "core/io/hdf5_support.hpp"
#include "core/io/posix_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <mutex>
#include <system_error>
#include <tuple>
#include <type_traits>

namespace m1 {

namespace {

// ---------------------------------------------------------------------------------------------
// HDF5 plumbing

void check_name(const hdf5_writer& w, const std::string& kind, const std::string& name) {
    if (name.empty() || name == "." || name.find('/') != std::string::npos)
        w.fail(kind + " name '" + name + "' cannot name an HDF5 group (empty, '.' or has '/')");
}

// SONATA: /spikes/<population>/{timestamps (double, attr units), node_ids (uint64)} and the enum
// attribute `sorting` on the population group. The enum type is the one libsonatareport writes
// and libsonata reads: base H5T_STD_U8LE, members none=0, by_id=1, by_time=2.
void write_spikes(const hdf5_writer& w, hid_t file, const std::vector<population_spikes>& spikes) {
    const hdf5_checker& c = w.check();
    const std::string what_enum = "cannot create the SONATA sorting enum type";
    h5_handle sorting = c.handle(H5Tenum_create(H5T_STD_U8LE), H5Tclose, what_enum);
    const std::pair<const char*, std::uint8_t> members[] = {{"none", 0}, {"by_id", 1}, {"by_time", 2}};
    for (const auto& [name, value] : members)
        c.ok(H5Tenum_insert(sorting, name, &value), what_enum);
    const std::uint8_t by_time = 2;

    h5_handle root = w.group(file, "/", "spikes", /*track_links=*/true);
    for (const auto& pop : spikes) {
        check_name(w, "population", pop.population);
        const std::string where = "/spikes/" + pop.population;
        if (pop.timestamps.size() != pop.node_ids.size())
            w.fail("spikes of population " + pop.population + " have " +
                   std::to_string(pop.timestamps.size()) + " timestamps but " +
                   std::to_string(pop.node_ids.size()) + " node ids");
        for (std::size_t i = 1; i < pop.timestamps.size(); ++i)
            if (!(pop.timestamps[i - 1] <= pop.timestamps[i]))
                w.fail("spikes of population " + pop.population +
                       " are not sorted by time (at spike " + std::to_string(i) + ")");
        h5_handle group = w.group(root, "/spikes", pop.population);
        w.attribute(group, where, "sorting", sorting, sorting, &by_time);
        h5_handle times = w.numbers(group, where, "timestamps", pop.timestamps);
        w.attribute(times, where + "/timestamps", "units", std::string("ms"));
        w.numbers(group, where, "node_ids", pop.node_ids);
    }
}

void write_cells(const hdf5_writer& w, hid_t file, const cell_table& cells) {
    const std::size_t n = cells.gid.size();
    auto same = [&](std::size_t size, const char* column) {
        if (size != n)
            w.fail("cell column " + std::string(column) + " has " + std::to_string(size) +
                   " rows but gid has " + std::to_string(n));
    };
    same(cells.population.size(), "population");
    same(cells.cell_type.size(), "cell_type");
    same(cells.x.size(), "x");
    same(cells.y.size(), "y");
    same(cells.z.size(), "z");
    same(cells.ynorm.size(), "ynorm");
    h5_handle group = w.group(file, "/", "cells", /*track_links=*/true);
    w.numbers(group, "/cells", "gid", cells.gid);
    w.strings(group, "/cells", "population", cells.population);
    w.strings(group, "/cells", "cell_type", cells.cell_type);
    w.numbers(group, "/cells", "x", cells.x);
    w.numbers(group, "/cells", "y", cells.y);
    w.numbers(group, "/cells", "z", cells.z);
    w.numbers(group, "/cells", "ynorm", cells.ynorm);
}

void write_connectivity(const hdf5_writer& w, hid_t file, const connectivity_table& conn) {
    const hsize_t pre = conn.pre_populations.size();
    const hsize_t post = conn.post_populations.size();
    const hsize_t mech = conn.synaptic_mechanisms.size();
    if (conn.contacts.size() != pre * post * mech)
        w.fail("connectivity has " + std::to_string(conn.contacts.size()) + " contact counts, " +
               "expected " + std::to_string(pre) + " x " + std::to_string(post) + " x " +
               std::to_string(mech));
    h5_handle group = w.group(file, "/", "connectivity");
    h5_handle set =
        w.numbers(group, "/connectivity", "contacts", conn.contacts.data(), {pre, post, mech});
    const std::string where = "/connectivity/contacts";
    w.attribute(set, where, "pre_populations", conn.pre_populations);
    w.attribute(set, where, "post_populations", conn.post_populations);
    w.attribute(set, where, "synaptic_mechanisms", conn.synaptic_mechanisms);
}

void write_run(const hdf5_writer& w, hid_t file, const run_record& record) {
    h5_handle group = w.group(file, "/", "run", /*track_links=*/false, /*track_attributes=*/true);
    for (const auto& [name, value] : record.run_attributes)
        std::visit([&](const auto& v) { w.attribute(group, "/run", name, v); }, value);
    w.string_scalar(group, "/run", "model", record.model_json);
    if (!record.sweep_attributes.empty()) {
        h5_handle sweep = w.group(group, "/run", "sweep", false, /*track_attributes=*/true);
        for (const auto& [name, value] : record.sweep_attributes)
            std::visit([&](const auto& v) { w.attribute(sweep, "/run/sweep", name, v); }, value);
    }
}

void write_lfp(const hdf5_writer& w, hid_t file, const lfp_sums& lfp) {
    const std::size_t E = lfp.electrodes.size();
    if (lfp.ampa.size() != lfp.gaba.size() || (E && lfp.ampa.size() % E))
        w.fail("the LFP sums do not match the electrodes");
    h5_handle group = w.group(file, "/", "lfp", true, true);
    w.attribute(group, "/lfp", "interval_ms", lfp.interval_ms);
    w.attribute(group, "/lfp", "electrodes", lfp.electrodes);
    w.attribute(group, "/lfp", "ynorm_low", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, lfp.ynorm_low.data(), {hsize_t(E)});
    w.attribute(group, "/lfp", "ynorm_high", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, lfp.ynorm_high.data(), {hsize_t(E)});
    w.attribute(group, "/lfp", "cells", H5T_STD_I64LE, H5T_NATIVE_INT64, lfp.cells.data(), {hsize_t(E)});
    const hsize_t samples = E ? lfp.ampa.size() / E : 0;
    h5_handle ampa = w.numbers(group, "/lfp", "ampa", lfp.ampa.data(), {samples, hsize_t(E)});
    w.attribute(ampa, "/lfp/ampa", "units", std::string("nA"));
    h5_handle gaba = w.numbers(group, "/lfp", "gaba", lfp.gaba.data(), {samples, hsize_t(E)});
    w.attribute(gaba, "/lfp/gaba", "units", std::string("nA"));
}

void write_traces(const hdf5_writer& w, hid_t file, const run_record& record) {
    const auto& traces = record.traces;
    if (traces.empty()) return;
    if (!(record.record_step > 0) || !std::isfinite(record.record_step))
        w.fail("traces need a positive record_step, not " + std::to_string(record.record_step));
    h5_handle group = w.group(file, "/", "traces", /*track_links=*/true);
    w.attribute(group, "/traces", "record_step", record.record_step);

    const std::size_t samples = traces.front().v.size();
    std::vector<double> v;
    v.reserve(traces.size() * samples);
    std::vector<std::string> population;
    std::vector<std::uint64_t> node_id, gid;
    for (std::size_t i = 0; i < traces.size(); ++i) {
        const auto& t = traces[i];
        if (t.v.size() != samples)
            w.fail("voltage traces differ in length: trace " + std::to_string(i) + " (gid " +
                   std::to_string(t.gid) + ") has " + std::to_string(t.v.size()) +
                   " samples, trace 0 has " + std::to_string(samples));
        v.insert(v.end(), t.v.begin(), t.v.end());
        population.push_back(t.population);
        node_id.push_back(t.node_id);
        gid.push_back(t.gid);
    }
    std::vector<double> time(samples);
    for (std::size_t k = 0; k < samples; ++k) time[k] = static_cast<double>(k) * record.record_step;

    w.numbers(group, "/traces", "v", v.data(), {hsize_t(traces.size()), hsize_t(samples)});
    w.numbers(group, "/traces", "time", time);
    w.strings(group, "/traces", "population", population);
    w.numbers(group, "/traces", "node_id", node_id);
    w.numbers(group, "/traces", "gid", gid);
}

// The contents of the file (without the file handling).
void write_contents(const hdf5_checker& c, hid_t file, const run_record& record) {
    hdf5_writer w(c);
    // SONATA's common HDF5 conventions ask every file for a uint32 `magic` = 0x0A7A and a
    // 2-element uint32 `version` at the root (bmtk writes both into its spike files).
    w.attribute(file, "/", "magic", std::uint32_t{0x0A7A});
    const std::uint32_t version[2] = {0, 1};
    w.attribute(file, "/", "version", H5T_STD_U32LE, H5T_NATIVE_UINT32, version, {2});
    write_spikes(w, file, record.spikes);
    write_cells(w, file, record.cells);
    write_connectivity(w, file, record.connectivity);
    write_run(w, file, record);
    write_traces(w, file, record);
    if (record.lfp) write_lfp(w, file, *record.lfp);
}

// ---------------------------------------------------------------------------------------------
// Reading: m1batch's run files and the spike files of other tools (bmtk, NEST, h5py scripts),
// which may lack /cells, /run and /lfp, keep text in fixed-length strings, times in seconds or
// as float32, node ids in any integer type, and spikes in any order. Whatever cannot be read
// throws run_error naming the file and what is missing or wrong.

bool has_link(hid_t group, const std::string& name) {
    return H5Lexists(group, name.c_str(), H5P_DEFAULT) > 0;
}

// Whether the object `name` of `parent` is a group (rather than a dataset).
bool is_group(const hdf5_checker& c, hid_t parent, const std::string& name, const std::string& where) {
    const h5_handle object =
        c.handle(H5Oopen(parent, name.c_str(), H5P_DEFAULT), H5Oclose, "cannot open " + where);
    return H5Iget_type(object) == H5I_GROUP;
}

std::vector<std::string> link_names(const hdf5_checker& c, hid_t group, const std::string& where) {
    const std::string what = "cannot list " + where;
    h5_handle gcpl = c.handle(H5Gget_create_plist(group), H5Pclose, what);
    unsigned order = 0;
    c.ok(H5Pget_link_creation_order(gcpl, &order), what);
    const H5_index_t index =
        (order & H5P_CRT_ORDER_TRACKED) != 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    H5G_info_t info;
    c.ok(H5Gget_info(group, &info), what);
    // By index rather than H5Literate, whose callback type differs between HDF5 1.10 and 1.12.
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t size =
            H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (size < 0) c.fail_hdf5(what);
        std::string name(static_cast<std::size_t>(size) + 1, '\0');
        if (H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, name.data(), name.size(),
                               H5P_DEFAULT) < 0)
            c.fail_hdf5(what);
        name.resize(static_cast<std::size_t>(size));
        names.push_back(std::move(name));
    }
    return names;
}

h5_handle open_dataset(const hdf5_checker& c, hid_t parent, const std::string& name,
                       const std::string& where) {
    if (!has_link(parent, name)) c.fail("no " + where);
    return c.handle(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, "cannot read " + where);
}

h5_handle stored_type(const hdf5_checker& c, hid_t set, const std::string& where) {
    return c.handle(H5Dget_type(set), H5Tclose, "cannot read " + where);
}

// The length of a one-dimensional dataset; any other shape is refused.
std::size_t length_1d(const hdf5_checker& c, hid_t set, const std::string& where) {
    const std::string what = "cannot read " + where;
    const h5_handle space = c.handle(H5Dget_space(set), H5Sclose, what);
    const int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0) c.fail_hdf5(what);
    if (rank != 1) c.fail(where + " is not one-dimensional");
    hsize_t n = 0;
    if (H5Sget_simple_extent_dims(space, &n, nullptr) < 0) c.fail_hdf5(what);
    return static_cast<std::size_t>(n);
}

// A one-dimensional dataset of numbers of any integer or floating-point type, converted to T.
template <class T>
std::vector<T> read_numbers_1d(const hdf5_checker& c, hid_t parent, const std::string& name,
                               const std::string& where) {
    const h5_handle set = open_dataset(c, parent, name, where);
    const H5T_class_t stored = H5Tget_class(stored_type(c, set, where));
    if (stored != H5T_INTEGER && stored != H5T_FLOAT) c.fail(where + " does not hold numbers");
    std::vector<T> values(length_1d(c, set, where));
    if (!values.empty())
        c.ok(H5Dread(set, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
             "cannot read " + where);
    return values;
}

std::vector<std::string> read_strings_1d(const hdf5_checker& c, hid_t parent,
                                         const std::string& name, const std::string& where) {
    const h5_handle set = open_dataset(c, parent, name, where);
    length_1d(c, set, where);  // refuses other shapes
    return read_strings(c, set, where);
}

// ---------------------------------------------------------------------------------------------
// Spikes

// The factor from a timestamps dataset's SONATA `units` to ms: milliseconds when absent (SONATA),
// else "ms" or "s" (also spelt out, as some exporters do).
double to_ms(const hdf5_checker& c, hid_t timestamps, const std::string& where) {
    const std::string units = read_string_attribute(c, timestamps, "units", where).value_or("ms");
    for (const char* ms : {"ms", "msec", "millisecond", "milliseconds"})
        if (units == ms) return 1;
    for (const char* s : {"s", "sec", "second", "seconds"})
        if (units == s) return 1000;
    c.fail(where + " has units '" + units + "' (ms or s expected)");
}

std::vector<double> read_times_ms(const hdf5_checker& c, hid_t group, const std::string& where) {
    const std::string at = where + "/timestamps";
    std::vector<double> times = read_numbers_1d<double>(c, group, "timestamps", at);
    const double scale = to_ms(c, open_dataset(c, group, "timestamps", at), at);
    for (std::size_t i = 0; i < times.size(); ++i) {
        if (!std::isfinite(times[i]))
            c.fail(at + " holds a time that is not a finite number (spike " + std::to_string(i) + ")");
        times[i] *= scale;
    }
    return times;
}

// Node ids of any integer type (SONATA's uint64; other tools write int64 or uint32), from
// node_ids or, in bmtk's earlier layout, gids. Negative ids are refused rather than wrapped.
std::vector<std::uint64_t> read_node_ids(const hdf5_checker& c, hid_t group, const std::string& where) {
    const std::string name = !has_link(group, "node_ids") && has_link(group, "gids") ? "gids" : "node_ids";
    const std::string at = where + "/" + name;
    const h5_handle type = stored_type(c, open_dataset(c, group, name, at), at);
    if (H5Tget_class(type) != H5T_INTEGER) c.fail(at + " does not hold integers");
    if (H5Tget_sign(type) != H5T_SGN_2) return read_numbers_1d<std::uint64_t>(c, group, name, at);
    const std::vector<std::int64_t> signed_ids = read_numbers_1d<std::int64_t>(c, group, name, at);
    std::vector<std::uint64_t> ids(signed_ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (signed_ids[i] < 0)
            c.fail(at + " holds the negative id " + std::to_string(signed_ids[i]) + " (spike " +
                   std::to_string(i) + ")");
        ids[i] = static_cast<std::uint64_t>(signed_ids[i]);
    }
    return ids;
}

// SONATA allows any order (sorting none or by_id); the measures want time order, ties by node id.
void sort_by_time(population_spikes& p) {
    if (std::is_sorted(p.timestamps.begin(), p.timestamps.end())) return;
    std::vector<std::pair<double, std::uint64_t>> spikes(p.timestamps.size());
    for (std::size_t i = 0; i < spikes.size(); ++i) spikes[i] = {p.timestamps[i], p.node_ids[i]};
    std::sort(spikes.begin(), spikes.end());
    for (std::size_t i = 0; i < spikes.size(); ++i)
        std::tie(p.timestamps[i], p.node_ids[i]) = spikes[i];
}

population_spikes read_population(const hdf5_checker& c, hid_t group, const std::string& where,
                                  const std::string& name) {
    population_spikes p;
    p.population = name;
    p.timestamps = read_times_ms(c, group, where);
    p.node_ids = read_node_ids(c, group, where);
    if (p.timestamps.size() != p.node_ids.size())
        c.fail(where + " has " + std::to_string(p.timestamps.size()) + " timestamps but " +
               std::to_string(p.node_ids.size()) + " node ids");
    sort_by_time(p);
    return p;
}

}  // namespace

std::string run_file_image(const std::filesystem::path& path, const run_record& record) {
    return hdf5_file_image(path, [&](const hdf5_checker& c, hid_t file) {
        write_contents(c, file, record);
    });
}

void write_run_file(const std::filesystem::path& path, const run_record& record) {
    write_file_atomically(path, run_file_image(path, record));
}

bool holds_group(const std::filesystem::path& path, const std::string& name) {
    hdf5_quiet quiet;
    const hdf5_checker c("cannot read", path.string());
    const h5_handle file = open_for_reading(c, path);
    return has_link(file, name) && is_group(c, file, name, "/" + name);
}

// The group `name` at the top of `file`; `missing` is the failure when there is none.
h5_handle open_top_group(const hdf5_checker& c, hid_t file, const std::string& name,
                         const std::string& missing) {
    if (!has_link(file, name)) c.fail(missing);
    return c.handle(H5Gopen2(file, name.c_str(), H5P_DEFAULT), H5Gclose,
                    "cannot open group /" + name);
}

std::vector<population_spikes> read_run_spikes(const std::filesystem::path& path) {
    hdf5_quiet quiet;
    const hdf5_checker c("cannot read", path.string());
    const h5_handle file = open_for_reading(c, path);
    const h5_handle spikes = open_top_group(c, file, "spikes", "no /spikes (not a spike file)");
    std::vector<population_spikes> result;
    for (const std::string& population : link_names(c, spikes, "/spikes")) {
        const std::string where = "/spikes/" + population;
        if (!is_group(c, spikes, population, where)) continue;  // the earlier layout's datasets
        const h5_handle group = c.handle(H5Gopen2(spikes, population.c_str(), H5P_DEFAULT),
                                         H5Gclose, "cannot open group " + where);
        result.push_back(read_population(c, group, where, population));
    }
    if (result.empty() && has_link(spikes, "timestamps"))
        result.push_back(read_population(c, spikes, "/spikes", unnamed_population));
    return result;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Attributes

std::string attribute_name(const hdf5_checker& c, hid_t attr, const std::string& what) {
    const ssize_t size = H5Aget_name(attr, 0, nullptr);
    if (size < 0) c.fail_hdf5(what);
    std::string name(static_cast<std::size_t>(size) + 1, '\0');
    if (H5Aget_name(attr, name.size(), name.data()) < 0) c.fail_hdf5(what);
    name.resize(static_cast<std::size_t>(size));
    return name;
}

// A scalar attribute's value (integer, floating point or text, as /run holds); nullopt for other
// kinds (arrays, enums), which are not settings.
std::optional<attribute_value> scalar_value(const hdf5_checker& c, hid_t attr, const std::string& where) {
    const std::string what = "cannot read " + where;
    const h5_handle type = c.handle(H5Aget_type(attr), H5Tclose, what);
    const h5_handle space = c.handle(H5Aget_space(attr), H5Sclose, what);
    if (H5Sget_simple_extent_type(space) != H5S_SCALAR) return std::nullopt;
    const H5T_class_t kind = H5Tget_class(type);
    if (kind == H5T_INTEGER) {
        std::int64_t v = 0;
        c.ok(H5Aread(attr, H5T_NATIVE_INT64, &v), what);
        return v;
    }
    if (kind == H5T_FLOAT) {
        double v = 0;
        c.ok(H5Aread(attr, H5T_NATIVE_DOUBLE, &v), what);
        return v;
    }
    if (kind == H5T_STRING) return read_strings(c, attr, where).front();
    return std::nullopt;
}

// Attributes by creation order where the object tracks it, else by name.
H5_index_t attribute_index(const hdf5_checker& c, hid_t object, const std::string& what) {
    if (H5Iget_type(object) != H5I_GROUP) return H5_INDEX_NAME;
    const h5_handle ocpl = c.handle(H5Gget_create_plist(object), H5Pclose, what);
    unsigned order = 0;
    c.ok(H5Pget_attr_creation_order(ocpl, &order), what);
    return (order & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
}

hsize_t attribute_count(const hdf5_checker& c, hid_t object, const std::string& what) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    c.ok(H5Oget_info3(object, &info, H5O_INFO_NUM_ATTRS), what);
#else
    H5O_info_t info;
    c.ok(H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS), what);
#endif
    return info.num_attrs;
}

// Every scalar attribute of `object` (see scalar_value), by creation order where it is tracked.
std::vector<std::pair<std::string, attribute_value>> read_attributes(const hdf5_checker& c,
                                                                     hid_t object,
                                                                     const std::string& where) {
    const std::string what = "cannot read the attributes of " + where;
    const H5_index_t index = attribute_index(c, object, what);
    std::vector<std::pair<std::string, attribute_value>> out;
    const hsize_t count = attribute_count(c, object, what);
    for (hsize_t i = 0; i < count; ++i) {
        const h5_handle attr = c.handle(
            H5Aopen_by_idx(object, ".", index, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
            what);
        std::string name = attribute_name(c, attr, what);
        if (auto value = scalar_value(c, attr, "attribute " + name + " of " + where))
            out.emplace_back(std::move(name), std::move(*value));
    }
    return out;
}

}  // namespace

const attribute_value* run_file_attributes::find(const std::string& name) const {
    for (const auto& [key, value] : run)
        if (key == name) return &value;
    return nullptr;
}

run_file_attributes read_run_attributes(const std::filesystem::path& path) {
    hdf5_quiet quiet;
    const hdf5_checker c("cannot read", path.string());
    const h5_handle file = open_for_reading(c, path);
    if (!has_link(file, "run")) c.fail("no /run");
    h5_handle run = c.handle(H5Gopen2(file, "run", H5P_DEFAULT), H5Gclose, "cannot open group /run");
    run_file_attributes out;
    out.run = read_attributes(c, run, "/run");
    if (has_link(run, "sweep")) {
        h5_handle sweep = c.handle(H5Gopen2(run, "sweep", H5P_DEFAULT), H5Gclose,
                                   "cannot open group /run/sweep");
        out.sweep = read_attributes(c, sweep, "/run/sweep");
    }
    return out;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Cells and LFP

// A column of /cells besides population: empty when the file has none (other tools' files carry
// only what they need), else one row per cell.
template <class Column, class Read>
Column optional_column(const hdf5_checker& c, hid_t cells, const std::string& name,
                       std::size_t rows, Read read) {
    if (!has_link(cells, name)) return {};
    const std::string where = "/cells/" + name;
    Column column = read(c, cells, name, where);
    if (column.size() != rows)
        c.fail(where + " has " + std::to_string(column.size()) + " rows but /cells/population has " +
               std::to_string(rows));
    return column;
}

// A numeric attribute of /lfp with one value per electrode.
template <class T>
std::vector<T> per_electrode(const hdf5_checker& c, hid_t lfp, const char* name, std::size_t electrodes) {
    const std::string where = std::string("attribute ") + name + " of /lfp";
    const h5_handle attr = c.handle(H5Aopen(lfp, name, H5P_DEFAULT), H5Aclose, "cannot read " + where);
    const h5_handle space = c.handle(H5Aget_space(attr), H5Sclose, "cannot read " + where);
    if (H5Sget_simple_extent_npoints(space) != static_cast<hssize_t>(electrodes))
        c.fail(where + " does not hold one value per electrode");
    std::vector<T> values(electrodes);
    if (electrodes > 0) c.ok(H5Aread(attr, native_type<T>(), values.data()), "cannot read " + where);
    return values;
}

// Every number of a dataset of any shape, in storage order.
std::vector<double> all_numbers(const hdf5_checker& c, hid_t parent, const std::string& name,
                                const std::string& where) {
    const h5_handle set = open_dataset(c, parent, name, where);
    const h5_handle space = c.handle(H5Dget_space(set), H5Sclose, "cannot read " + where);
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    std::vector<double> values(static_cast<std::size_t>(std::max<hssize_t>(n, 0)));
    if (!values.empty())
        c.ok(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
             "cannot read " + where);
    return values;
}

}  // namespace

cell_table read_run_cells(const std::filesystem::path& path) {
    hdf5_quiet quiet;
    const hdf5_checker c("cannot read", path.string());
    const h5_handle file = open_for_reading(c, path);
    const h5_handle cells = open_top_group(c, file, "cells", "no /cells");
    cell_table t;
    t.population = read_strings_1d(c, cells, "population", "/cells/population");
    const std::size_t n = t.population.size();
    using numbers = std::vector<double>;
    t.gid = optional_column<std::vector<std::uint64_t>>(c, cells, "gid", n, read_numbers_1d<std::uint64_t>);
    t.cell_type = optional_column<std::vector<std::string>>(c, cells, "cell_type", n, read_strings_1d);
    t.x = optional_column<numbers>(c, cells, "x", n, read_numbers_1d<double>);
    t.y = optional_column<numbers>(c, cells, "y", n, read_numbers_1d<double>);
    t.z = optional_column<numbers>(c, cells, "z", n, read_numbers_1d<double>);
    t.ynorm = optional_column<numbers>(c, cells, "ynorm", n, read_numbers_1d<double>);
    return t;
}

std::optional<lfp_sums> read_run_lfp(const std::filesystem::path& path) {
    hdf5_quiet quiet;
    const hdf5_checker c("cannot read", path.string());
    const h5_handle file = open_for_reading(c, path);
    if (!has_link(file, "lfp")) return std::nullopt;
    const h5_handle group = c.handle(H5Gopen2(file, "lfp", H5P_DEFAULT), H5Gclose, "cannot open /lfp");
    lfp_sums out;
    for (const auto& [name, value] : read_attributes(c, group, "/lfp"))
        if (name == "interval_ms" && std::holds_alternative<double>(value)) out.interval_ms = std::get<double>(value);
    {
        const h5_handle names = c.handle(H5Aopen(group, "electrodes", H5P_DEFAULT), H5Aclose,
                                         "cannot read attribute electrodes of /lfp");
        out.electrodes = read_strings(c, names, "attribute electrodes of /lfp");
    }
    const std::size_t E = out.electrodes.size();
    out.ynorm_low = per_electrode<double>(c, group, "ynorm_low", E);
    out.ynorm_high = per_electrode<double>(c, group, "ynorm_high", E);
    out.cells = per_electrode<std::int64_t>(c, group, "cells", E);
    out.ampa = all_numbers(c, group, "ampa", "/lfp/ampa");
    out.gaba = all_numbers(c, group, "gaba", "/lfp/gaba");
    if (out.ampa.size() != out.gaba.size() || (E > 0 && out.ampa.size() % E))
        c.fail("/lfp/ampa and /lfp/gaba do not match the electrodes");
    return out;
}

}  // namespace m1
