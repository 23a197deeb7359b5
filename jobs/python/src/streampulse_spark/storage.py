"""The storage root: the same container layout as the local lake (ADLS Gen2 in the
cloud, a folder locally), with Delta tables instead of Parquet partitions, and small
text files (reports) written through Hadoop's FileSystem so any scheme works."""

from __future__ import annotations

from pyspark.sql import SparkSession


def sql_str(s: str) -> str:
    """A Spark SQL string literal."""
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def qi(name: str) -> str:
    """A quoted Spark identifier."""
    return "`" + name.replace("`", "``") + "`"


LAYER = "{layer}"


class Storage:
    """``root`` is a folder or URL holding one folder per zone (``<root>/bronze/...``), or
    a template with ``{layer}`` where each zone is its own file system, as on ADLS Gen2:
    ``abfss://{layer}@<account>.dfs.core.windows.net`` puts bronze tables in the
    ``bronze`` container (the Data Factory and the Pulumi lake use that layout)."""

    def __init__(self, spark: SparkSession | None, root: str):
        self.spark = spark  # type: ignore[assignment]
        self.root = root.rstrip("/")

    def path(self, *parts: str) -> str:
        clean = [p.strip("/") for p in parts if p]
        if LAYER in self.root and clean:
            zone, *rest = "/".join(clean).split("/")
            return "/".join([self.root.replace(LAYER, zone), *rest])
        return "/".join([self.root, *clean])

    # ---- tables (Delta)
    def bronze(self, ds: str) -> str:
        return self.path("bronze", ds)

    def quarantine(self, ds: str) -> str:
        return self.path("quarantine", ds)

    def silver(self, ds: str) -> str:
        """Current silver state (SCD1: one row per key; SCD2: every version)."""
        return self.path("silver", ds)

    def history(self, ds: str) -> str:
        """Every record promoted to silver, per batch (the merge-on-read partitions of the local runner)."""
        return self.path("silver", "_history", ds)

    def gold(self, name: str) -> str:
        return self.path("gold", name)

    def landing(self, rel: str = "") -> str:
        return self.path("landing", rel)

    def report(self, batch: str, *parts: str) -> str:
        return self.path("reports", "batches", batch, *parts)

    @staticmethod
    def ref(path: str) -> str:
        """A Delta table reference in SQL."""
        return f"delta.{qi(path)}"

    # ---- Hadoop FileSystem helpers
    def _fs_path(self, p: str):  # type: ignore[no-untyped-def]
        jvm = self.spark.sparkContext._jvm  # type: ignore[attr-defined]
        hp = jvm.org.apache.hadoop.fs.Path(p)
        fs = hp.getFileSystem(self.spark.sparkContext._jsc.hadoopConfiguration())  # type: ignore[attr-defined]
        return fs, hp

    def qualify(self, p: str) -> str:
        fs, hp = self._fs_path(p)
        return str(fs.makeQualified(hp).toString())

    def exists(self, p: str) -> bool:
        fs, hp = self._fs_path(p)
        return bool(fs.exists(hp))

    def is_delta(self, p: str) -> bool:
        return self.exists(p.rstrip("/") + "/_delta_log")

    def write_text(self, p: str, text: str) -> None:
        """Writes a small text file: to a temporary sibling, then renamed into place."""
        fs, hp = self._fs_path(p)
        jvm = self.spark.sparkContext._jvm  # type: ignore[attr-defined]
        tmp = jvm.org.apache.hadoop.fs.Path(hp.getParent(), "." + hp.getName() + ".tmp")
        out = fs.create(tmp, True)
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()
        if fs.exists(hp):
            fs.delete(hp, False)
        fs.rename(tmp, hp)

    def read_text(self, p: str) -> str:
        fs, hp = self._fs_path(p)
        jvm = self.spark.sparkContext._jvm  # type: ignore[attr-defined]
        stream = fs.open(hp)
        try:
            return str(jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
        finally:
            stream.close()

    def list_names(self, p: str) -> list[str]:
        fs, hp = self._fs_path(p)
        if not fs.exists(hp):
            return []
        return sorted(str(s.getPath().getName()) for s in fs.listStatus(hp))
