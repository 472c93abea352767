// The PostgreSQL source and listing (pg_store.h): a cursor over the
// selected tables in time order.
#include <algorithm>
#include <cstdlib>
#include <tuple>

#include "store/pg_schema.h"
#include "store/pg_store.h"

namespace ot {
namespace {

using namespace pg;

// The WHERE clause and parameters of a filter over one table.
std::string where_clause(const StoreFilter& f, const Table& t, std::vector<std::string>& params) {
  std::vector<std::string> conds;
  auto param = [&](std::string v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  };
  if (!f.venues.empty())
    conds.push_back("venue = ANY(" + param(array_literal(f.venues)) + "::text[])");
  if (!f.symbols.empty()) {
    std::string c = "symbol = ANY(" + param(array_literal(f.symbols)) + "::text[])";
    if (f.raw) c = "(" + c + " OR symbol = '_')";
    conds.push_back(c);
  }
  if (std::string_view(t.name) == "other" && !f.types.empty()) {
    conds.push_back("type = ANY(" + param(array_literal(f.types)) + "::text[])");
  }
  if (f.from) conds.push_back("time >= " + param(std::to_string(*f.from)) + "::bigint");
  if (f.to) conds.push_back("time <= " + param(std::to_string(*f.to)) + "::bigint");
  std::string out;
  for (std::size_t i = 0; i < conds.size(); ++i) out += (i ? " AND " : " WHERE ") + conds[i];
  return out;
}

// Tables that exist and can hold types matching the filter.
Result<std::vector<const Table*>> selected_tables(PGconn* c, const std::string& schema,
                                                  const StoreFilter& f) {
  std::vector<const Table*> out;
  for (const auto& t : tables()) {
    const std::string_view name = t.name;
    if (name == "other") {
      const bool any_other =
          f.types.empty() || std::any_of(f.types.begin(), f.types.end(), [](const auto& ty) {
            return pg_table_for(ty) == "other";
          });
      if (!any_other) continue;
    } else if (!f.types.empty() &&
               std::find(f.types.begin(), f.types.end(), name) == f.types.end()) {
      continue;
    }
    ResultPtr r;
    if (auto found = exec(c, "SELECT to_regclass($1)", {schema + "." + std::string(name)},
                          PGRES_TUPLES_OK, &r);
        !found) {
      return found.error();
    }
    if (!PQgetisnull(r.get(), 0, 0)) out.push_back(&t);
  }
  return out;
}

class PgSource final : public RecordSource {
 public:
  Result<> open(const PgOptions& o, const StoreFilter& f) {
    auto connected = connect(o.url);
    if (!connected) return connected.error();
    conn_ = std::move(connected).value();
    auto found = selected_tables(conn_.get(), o.schema, f);
    if (!found) return found.error();
    const std::vector<const Table*>& selected = *found;
    if (selected.empty()) return {};
    std::string sql;
    std::vector<std::string> params;
    for (const Table* t : selected) {
      if (!sql.empty()) sql += " UNION ALL ";
      const std::string type_expr =
          std::string_view(t->name) == "other" ? "type" : "'" + std::string(t->name) + "'::text";
      sql += "SELECT time, seq, venue, symbol, " + type_expr + " AS type, event FROM " +
             q(o.schema, t->name) + where_clause(f, *t, params);
    }
    ResultPtr r;
    if (auto listed = exec(conn_.get(), "SELECT DISTINCT venue FROM (" + sql + ") s", params,
                           PGRES_TUPLES_OK, &r);
        !listed) {
      return listed;
    }
    for (int i = 0; i < PQntuples(r.get()); ++i) venues_.emplace_back(PQgetvalue(r.get(), i, 0));
    if (auto begun = exec(conn_.get(), "BEGIN READ ONLY"); !begun) return begun;
    if (auto declared =
            exec(conn_.get(), "DECLARE records NO SCROLL CURSOR FOR " + sql + " ORDER BY time, seq",
                 params);
        !declared) {
      return declared;
    }
    open_ = true;
    return {};
  }

  bool next(StoredRecord& r) override {
    if (!open_) return false;
    if (row_ >= rows_) {
      if (auto fetched =
              exec(conn_.get(), "FETCH FORWARD 20000 FROM records", {}, PGRES_TUPLES_OK, &batch_);
          !fetched) {
        error_ = fetched.error().message();
        open_ = false;
        return false;
      }
      row_ = 0;
      rows_ = PQntuples(batch_.get());
      if (rows_ == 0) {
        open_ = false;
        (void)exec(conn_.get(), "COMMIT");
        return false;
      }
    }
    PGresult* b = batch_.get();
    r.time = std::strtoll(PQgetvalue(b, row_, 0), nullptr, 10);
    r.seq = std::strtoull(PQgetvalue(b, row_, 1), nullptr, 10);
    r.venue = std::string_view(PQgetvalue(b, row_, 2), PQgetlength(b, row_, 2));
    r.symbol = std::string_view(PQgetvalue(b, row_, 3), PQgetlength(b, row_, 3));
    r.type = std::string_view(PQgetvalue(b, row_, 4), PQgetlength(b, row_, 4));
    r.line = std::string_view(PQgetvalue(b, row_, 5), PQgetlength(b, row_, 5));
    ++row_;
    return true;
  }

  const std::string& error() const override { return error_; }
  std::vector<std::string> venues() const override { return venues_; }

 private:
  Conn conn_;
  ResultPtr batch_;
  int row_ = 0, rows_ = 0;
  bool open_ = false;
  std::string error_;
  std::vector<std::string> venues_;
};

}  // namespace

Result<std::unique_ptr<RecordSource>> open_pg_source(const PgOptions& options,
                                                     const StoreFilter& filter) {
  auto source = std::make_unique<PgSource>();
  if (auto opened = source->open(options, filter); !opened) return opened.error();
  return std::unique_ptr<RecordSource>(std::move(source));
}

Result<std::vector<StoredSeries>> list_pg(const PgOptions& options, const StoreFilter& filter) {
  auto connected = connect(options.url);
  if (!connected) return connected.error();
  Conn c = std::move(connected).value();
  auto selected = selected_tables(c.get(), options.schema, filter);
  if (!selected) return selected.error();
  std::vector<StoredSeries> out;
  for (const Table* t : *selected) {
    std::vector<std::string> params;
    const std::string type_expr =
        std::string_view(t->name) == "other" ? "type" : "'" + std::string(t->name) + "'::text";
    ResultPtr r;
    if (auto counted = exec(c.get(),
                            "SELECT venue, symbol, " + type_expr +
                                ", count(*), min(time), max(time), count(DISTINCT time / "
                                "86400000000000), sum(pg_column_size(t.*)), "
                                "sum(octet_length(event) + 1) FROM " +
                                q(options.schema, t->name) + " t" +
                                where_clause(filter, *t, params) + " GROUP BY 1, 2, 3",
                            params, PGRES_TUPLES_OK, &r);
        !counted) {
      return counted.error();
    }
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      StoredSeries s;
      s.venue = PQgetvalue(r.get(), i, 0);
      s.symbol = PQgetvalue(r.get(), i, 1);
      s.type = PQgetvalue(r.get(), i, 2);
      s.records = std::strtoull(PQgetvalue(r.get(), i, 3), nullptr, 10);
      s.first = std::strtoll(PQgetvalue(r.get(), i, 4), nullptr, 10);
      s.last = std::strtoll(PQgetvalue(r.get(), i, 5), nullptr, 10);
      s.days = std::strtoull(PQgetvalue(r.get(), i, 6), nullptr, 10);
      s.bytes = std::strtoull(PQgetvalue(r.get(), i, 7), nullptr, 10);
      s.raw_bytes = std::strtoull(PQgetvalue(r.get(), i, 8), nullptr, 10);
      out.push_back(std::move(s));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.venue, a.symbol, a.type) < std::tie(b.venue, b.symbol, b.type);
  });
  return out;
}

}  // namespace ot
