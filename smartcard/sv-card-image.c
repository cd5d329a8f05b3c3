/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-card-image"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-dialling-number.h"
#include "sv-identity.h"

#include "sv-card-image.h"

struct _SvCardImage
{
  GObject     parent_instance;

  SvCardType  card_type;
  char       *iccid;
  GHashTable *files;            /* key -> SvCardFile */
  GHashTable *path_keys;        /* path -> how many keys name it (owned path) */
};

G_DEFINE_FINAL_TYPE (SvCardImage, sv_card_image, G_TYPE_OBJECT)

G_DEFINE_QUARK (sv-card-image-error-quark, sv_card_image_error)

static void
sv_card_file_free (SvCardFile *file)
{
  g_free (file->key);
  g_free (file->path);
  g_clear_pointer (&file->records, g_ptr_array_unref);
  g_free (file);
}

static int
strcmp_indirect (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static GBytes *
bytes_new_filled (guint8 value,
                  gsize  len)
{
  guint8 *data = g_malloc (len ? len : 1);

  memset (data, value, len);
  return g_bytes_new_take (data, len);
}

/* Counts the keys of each path, so that writing a record looks for other
 * views of its file only when there are some. */
static void
path_keys_add (SvCardImage *self,
               const char  *path,
               gint         delta)
{
  guint n;

  if (path == NULL)
    return;
  n = GPOINTER_TO_UINT (g_hash_table_lookup (self->path_keys, path));
  n = (guint) ((gint) n + delta);
  if (n == 0)
    g_hash_table_remove (self->path_keys, path);
  else
    g_hash_table_replace (self->path_keys, g_strdup (path), GUINT_TO_POINTER (n));
}

static void
sv_card_image_finalize (GObject *object)
{
  SvCardImage *self = SV_CARD_IMAGE (object);

  g_clear_pointer (&self->iccid, g_free);
  g_clear_pointer (&self->files, g_hash_table_unref);
  g_clear_pointer (&self->path_keys, g_hash_table_unref);

  G_OBJECT_CLASS (sv_card_image_parent_class)->finalize (object);
}

static void
sv_card_image_class_init (SvCardImageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_card_image_finalize;
}

static void
sv_card_image_init (SvCardImage *self)
{
  self->path_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->files = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify) sv_card_file_free);
}

/**
 * sv_card_image_new:
 * @card_type: SIM or USIM
 *
 * Returns: (transfer full): an empty image
 */
SvCardImage *
sv_card_image_new (SvCardType card_type)
{
  SvCardImage *self = g_object_new (SV_TYPE_CARD_IMAGE, NULL);

  self->card_type = card_type;
  return self;
}

/**
 * sv_card_image_copy:
 * @self: an image
 *
 * Deep copy: the files and their record arrays are new, so setting a record
 * in the copy never changes @self (the #GBytes themselves are immutable and
 * shared).
 *
 * Returns: (transfer full): a new image equal to @self
 */
SvCardImage *
sv_card_image_copy (SvCardImage *self)
{
  SvCardImage *copy;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (self), NULL);

  copy = sv_card_image_new (self->card_type);
  copy->iccid = g_strdup (self->iccid);

  g_hash_table_iter_init (&iter, self->files);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const SvCardFile *file = value;
      SvCardFile *file_copy = g_new0 (SvCardFile, 1);

      file_copy->key = g_strdup (file->key);
      file_copy->path = g_strdup (file->path);
      file_copy->structure = file->structure;
      file_copy->record_len = file->record_len;
      file_copy->n_records = file->n_records;
      file_copy->records = g_ptr_array_new_full (file->records->len,
                                                 (GDestroyNotify) g_bytes_unref);
      for (guint i = 0; i < file->records->len; i++)
        g_ptr_array_add (file_copy->records,
                         g_bytes_ref (g_ptr_array_index (file->records, i)));
      g_hash_table_insert (copy->files, file_copy->key, file_copy);
      path_keys_add (copy, file_copy->path, +1);
    }

  return copy;
}

SvCardType
sv_card_image_get_card_type (SvCardImage *self)
{
  g_return_val_if_fail (SV_IS_CARD_IMAGE (self), SV_CARD_TYPE_SIM);

  return self->card_type;
}

/**
 * sv_card_image_get_iccid:
 * @self: an image
 *
 * The ICCID the reader stored with sv_card_image_set_iccid() (the mirror's
 * key). See sv_card_image_dup_iccid() for the value decoded from EF_ICCID.
 *
 * Returns: (nullable): the ICCID
 */
const char *
sv_card_image_get_iccid (SvCardImage *self)
{
  g_return_val_if_fail (SV_IS_CARD_IMAGE (self), NULL);

  return self->iccid;
}

void
sv_card_image_set_iccid (SvCardImage *self,
                         const char  *iccid)
{
  g_return_if_fail (SV_IS_CARD_IMAGE (self));

  g_free (self->iccid);
  self->iccid = g_strdup (iccid);
}

/**
 * sv_card_image_add_file:
 * @self: an image
 * @key: the file's key (see #SvCardFile)
 * @path: the file's path from the MF, upper-case hex
 * @structure: transparent, linear fixed or cyclic
 * @record_len: bytes per record; the body size of a transparent file
 * @n_records: number of records; must be 1 for a transparent file
 *
 * Adds a file whose records are all 0xFF (the erased state of EEPROM and
 * what an empty record holds); fill them with sv_card_image_set_record().
 * A file already present under @key is replaced.
 *
 * Returns: (transfer none): the new file, owned by @self
 */
SvCardFile *
sv_card_image_add_file (SvCardImage     *self,
                        const char      *key,
                        const char      *path,
                        SvFileStructure  structure,
                        guint            record_len,
                        guint            n_records)
{
  SvCardFile *file;
  SvCardFile *replaced;
  GBytes *empty;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (structure == SV_FILE_STRUCTURE_TRANSPARENT ||
                        structure == SV_FILE_STRUCTURE_LINEAR_FIXED ||
                        structure == SV_FILE_STRUCTURE_CYCLIC, NULL);
  g_return_val_if_fail (structure != SV_FILE_STRUCTURE_TRANSPARENT || n_records == 1, NULL);

  file = g_new0 (SvCardFile, 1);
  file->key = g_strdup (key);
  file->path = g_strdup (path);
  file->structure = structure;
  file->record_len = record_len;
  file->n_records = n_records;
  file->records = g_ptr_array_new_full (n_records, (GDestroyNotify) g_bytes_unref);
  /* GBytes are immutable: every empty record can be the same one. */
  empty = bytes_new_filled (0xFF, record_len);
  for (guint i = 0; i < n_records; i++)
    g_ptr_array_add (file->records, g_bytes_ref (empty));
  g_bytes_unref (empty);

  replaced = g_hash_table_lookup (self->files, key);
  if (replaced != NULL)
    path_keys_add (self, replaced->path, -1);
  g_hash_table_replace (self->files, file->key, file);
  path_keys_add (self, file->path, +1);

  return file;
}

/**
 * sv_card_image_lookup:
 * @self: an image
 * @key: a file key
 *
 * Returns: (transfer none) (nullable): the file, or %NULL if the image has
 *   no file under @key
 */
SvCardFile *
sv_card_image_lookup (SvCardImage *self,
                      const char  *key)
{
  g_return_val_if_fail (SV_IS_CARD_IMAGE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return g_hash_table_lookup (self->files, key);
}

/**
 * sv_card_image_list_keys:
 * @self: an image
 *
 * Returns: (transfer container) (element-type utf8): the keys of every
 *   file, sorted (strcmp); the strings belong to @self
 */
GPtrArray *
sv_card_image_list_keys (SvCardImage *self)
{
  GPtrArray *keys;
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (self), NULL);

  keys = g_ptr_array_new_full (g_hash_table_size (self->files), NULL);
  g_hash_table_iter_init (&iter, self->files);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, strcmp_indirect);

  return keys;
}

/**
 * sv_card_image_get_record:
 * @self: an image
 * @key: a file key
 * @index: 1-based record number (1 for a transparent file)
 *
 * Returns: (transfer none) (nullable): the record's bytes, or %NULL when
 *   the file is absent or @index is out of range
 */
GBytes *
sv_card_image_get_record (SvCardImage *self,
                          const char  *key,
                          guint        index)
{
  SvCardFile *file;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (self), NULL);

  file = sv_card_image_lookup (self, key);
  if (file == NULL || index < 1 || index > file->records->len)
    return NULL;

  return g_ptr_array_index (file->records, index - 1);
}

/**
 * sv_card_image_set_record:
 * @self: an image
 * @key: a file key
 * @index: 1-based record number (1 for a transparent file)
 * @bytes: exactly #SvCardFile.record_len bytes
 * @error: return location for a #SV_CARD_IMAGE_ERROR
 *
 * Replaces one record.
 *
 * Returns: %TRUE, or %FALSE if the file is absent, @index is out of range
 *   or @bytes has the wrong length
 */
gboolean
sv_card_image_set_record (SvCardImage  *self,
                          const char   *key,
                          guint         index,
                          GBytes       *bytes,
                          GError      **error)
{
  SvCardFile *file;
  gsize len;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  file = sv_card_image_lookup (self, key);
  if (file == NULL)
    {
      g_set_error (error, SV_CARD_IMAGE_ERROR, SV_CARD_IMAGE_ERROR_NO_SUCH_FILE,
                   _("The card image has no file “%s”"), key);
      return FALSE;
    }

  if (index < 1 || index > file->records->len)
    {
      g_set_error (error, SV_CARD_IMAGE_ERROR, SV_CARD_IMAGE_ERROR_OUT_OF_RANGE,
                   _("Record %u of “%s” is out of range (the file has %u records)"),
                   index, key, file->records->len);
      return FALSE;
    }

  len = g_bytes_get_size (bytes);
  if (len != file->record_len)
    {
      g_set_error (error, SV_CARD_IMAGE_ERROR, SV_CARD_IMAGE_ERROR_BAD_LENGTH,
                   _("Record %u of “%s” must be %u bytes long, not %zu"),
                   index, key, file->record_len, len);
      return FALSE;
    }

  g_bytes_unref (g_ptr_array_index (file->records, index - 1));
  g_ptr_array_index (file->records, index - 1) = g_bytes_ref (bytes);

  /* Keys with the same path are views of one file on the card (a type 3
   * EF_EXT1 named by several EF_PBR records, TS 31.102 §4.4.2.1): a record
   * written through one is seen through all of them, as on the card, so
   * no set allocates a record another set has just taken. */
  if (file->path != NULL &&
      GPOINTER_TO_UINT (g_hash_table_lookup (self->path_keys, file->path)) > 1)
    {
      GHashTableIter iter;
      gpointer other_key, value;

      g_hash_table_iter_init (&iter, self->files);
      while (g_hash_table_iter_next (&iter, &other_key, &value))
        {
          SvCardFile *other = value;

          if (other == file || g_strcmp0 (other->path, file->path) != 0 ||
              other->record_len != file->record_len || index > other->records->len)
            continue;
          g_bytes_unref (g_ptr_array_index (other->records, index - 1));
          g_ptr_array_index (other->records, index - 1) = g_bytes_ref (bytes);
        }
    }

  return TRUE;
}

static void
record_change_clear (SvRecordChange *change)
{
  g_free (change->key);
  g_clear_pointer (&change->old_bytes, g_bytes_unref);
  g_clear_pointer (&change->new_bytes, g_bytes_unref);
}

G_DEFINE_BOXED_TYPE (SvRecordChange, sv_record_change, sv_record_change_ref, sv_record_change_unref)

/**
 * sv_record_change_new:
 * @old_bytes: (nullable): the record before
 * @new_bytes: (nullable): the record after
 *
 * Returns: (transfer full): a new change; treat it as immutable once
 *   shared (it is refcounted, not copied)
 */
SvRecordChange *
sv_record_change_new (const char *key,
                      guint       index,
                      GBytes     *old_bytes,
                      GBytes     *new_bytes)
{
  SvRecordChange *change = g_atomic_rc_box_new0 (SvRecordChange);

  change->key = g_strdup (key);
  change->index = index;
  change->old_bytes = old_bytes ? g_bytes_ref (old_bytes) : NULL;
  change->new_bytes = new_bytes ? g_bytes_ref (new_bytes) : NULL;
  return change;
}

SvRecordChange *
sv_record_change_ref (SvRecordChange *change)
{
  g_return_val_if_fail (change != NULL, NULL);
  return g_atomic_rc_box_acquire (change);
}

void
sv_record_change_unref (SvRecordChange *change)
{
  if (change == NULL)     /* NULL-safe like g_bytes_unref(): arrays hold stolen slots */
    return;
  g_atomic_rc_box_release_full (change, (GDestroyNotify) record_change_clear);
}

static void
add_change (GPtrArray  *changes,
            const char *key,
            guint       index,
            GBytes     *old_bytes,
            GBytes     *new_bytes)
{
  g_ptr_array_add (changes, sv_record_change_new (key, index, old_bytes, new_bytes));
}

/**
 * sv_card_image_diff:
 * @base: the image as on the card (or as last backed up)
 * @changed: the edited image
 *
 * Every record that differs, ordered by key (strcmp) then record number.
 * A file present in only one image counts as all its records added
 * (@old_bytes %NULL) or removed (@new_bytes %NULL); so do the extra records
 * when the two files have different record counts.
 *
 * Returns: (transfer container) (element-type SvRecordChange): the changes
 */
GPtrArray *
sv_card_image_diff (SvCardImage *base,
                    SvCardImage *changed)
{
  g_autoptr(GHashTable) all_keys = NULL;
  g_autoptr(GPtrArray) keys = NULL;
  GPtrArray *changes;
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (base), NULL);
  g_return_val_if_fail (SV_IS_CARD_IMAGE (changed), NULL);

  changes = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_record_change_unref);

  all_keys = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_iter_init (&iter, base->files);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_hash_table_add (all_keys, key);
  g_hash_table_iter_init (&iter, changed->files);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_hash_table_add (all_keys, key);

  keys = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, all_keys);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, strcmp_indirect);

  for (guint k = 0; k < keys->len; k++)
    {
      const char *file_key = g_ptr_array_index (keys, k);
      SvCardFile *old_file = g_hash_table_lookup (base->files, file_key);
      SvCardFile *new_file = g_hash_table_lookup (changed->files, file_key);
      guint n_old = old_file ? old_file->records->len : 0;
      guint n_new = new_file ? new_file->records->len : 0;

      for (guint i = 0; i < MAX (n_old, n_new); i++)
        {
          GBytes *old_bytes = i < n_old ? g_ptr_array_index (old_file->records, i) : NULL;
          GBytes *new_bytes = i < n_new ? g_ptr_array_index (new_file->records, i) : NULL;

          if (old_bytes != NULL && new_bytes != NULL && g_bytes_equal (old_bytes, new_bytes))
            continue;
          add_change (changes, file_key, i + 1, old_bytes, new_bytes);
        }
    }

  return changes;
}

/**
 * sv_card_image_equal:
 * @a: an image
 * @b: another image
 *
 * Returns: %TRUE if both have the same card type, ICCID and files, record
 *   for record
 */
gboolean
sv_card_image_equal (SvCardImage *a,
                     SvCardImage *b)
{
  g_autoptr(GPtrArray) changes = NULL;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (a), FALSE);
  g_return_val_if_fail (SV_IS_CARD_IMAGE (b), FALSE);

  if (a->card_type != b->card_type || g_strcmp0 (a->iccid, b->iccid) != 0)
    return FALSE;

  if (g_hash_table_size (a->files) != g_hash_table_size (b->files))
    return FALSE;

  g_hash_table_iter_init (&iter, a->files);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const SvCardFile *fa = value;
      const SvCardFile *fb = g_hash_table_lookup (b->files, fa->key);

      if (fb == NULL || fa->structure != fb->structure ||
          fa->record_len != fb->record_len || g_strcmp0 (fa->path, fb->path) != 0)
        return FALSE;
    }

  changes = sv_card_image_diff (a, b);
  return changes->len == 0;
}

const char *
sv_card_type_to_string (SvCardType card_type)
{
  switch (card_type)
    {
    case SV_CARD_TYPE_SIM:
      return "sim";
    case SV_CARD_TYPE_USIM:
      return "usim";
    default:
      return "unknown";
    }
}

/* Identity and capacity */

static const guint8 *
record_data (SvCardImage *self,
             const char  *key,
             guint        index,
             gsize       *len)
{
  GBytes *bytes = sv_card_image_get_record (self, key, index);

  *len = 0;
  if (bytes == NULL)
    return NULL;
  return g_bytes_get_data (bytes, len);
}

/**
 * sv_card_image_dup_iccid:
 * @self: an image
 *
 * The ICCID decoded from EF_ICCID ("iccid") with sv_iccid_decode()
 * (TS 102.221 §13.2: 10 bytes of swapped BCD, 'F' padded).
 *
 * Returns: (transfer full) (nullable): the digits
 */
char *
sv_card_image_dup_iccid (SvCardImage *self)
{
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (self), NULL);

  data = record_data (self, "iccid", 1, &len);
  return data ? sv_iccid_decode (data, len, NULL) : NULL;
}

/**
 * sv_card_image_dup_imsi:
 * @self: an image
 *
 * The IMSI from EF_IMSI ("imsi") with sv_imsi_decode() (TS 31.102
 * §4.2.2, TS 51.011 §10.3.2).
 *
 * Returns: (transfer full) (nullable): the digits
 */
char *
sv_card_image_dup_imsi (SvCardImage *self)
{
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (self), NULL);

  data = record_data (self, "imsi", 1, &len);
  return data ? sv_imsi_decode (data, len, NULL) : NULL;
}

/**
 * sv_card_image_dup_msisdn:
 * @self: an image
 *
 * The subscriber's own number from record 1 of EF_MSISDN ("msisdn"; ADN
 * format, TS 51.011 §10.5.5) with sv_adn_record_decode(), '+' first when
 * international. An extension in EF_EXT1/EF_EXT5 is not followed.
 *
 * Returns: (transfer full) (nullable): the number, %NULL when empty
 */
char *
sv_card_image_dup_msisdn (SvCardImage *self)
{
  SvAdnRecord rec;
  const guint8 *data;
  gsize len;
  char *number = NULL;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (self), NULL);

  /* only the 14-byte number part: a name that does not decode must not
   * hide the number */
  data = record_data (self, "msisdn", 1, &len);
  if (data == NULL || len < SV_ADN_FOOTER_LEN ||
      !sv_adn_record_decode (data + len - SV_ADN_FOOTER_LEN, SV_ADN_FOOTER_LEN, &rec, NULL))
    return NULL;
  if (rec.number[0] != '\0')
    number = g_steal_pointer (&rec.number);
  sv_adn_record_clear (&rec);
  return number;
}

/**
 * sv_card_image_dup_spn:
 * @self: an image
 *
 * The service provider name from EF_SPN ("spn") with sv_spn_decode()
 * (TS 51.011 §10.3.11, TS 31.102 §4.2.12).
 *
 * Returns: (transfer full) (nullable): the name, %NULL when empty
 */
char *
sv_card_image_dup_spn (SvCardImage *self)
{
  SvSpn spn;
  const guint8 *data;
  gsize len;
  char *name = NULL;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (self), NULL);

  data = record_data (self, "spn", 1, &len);
  if (data == NULL || len < 2 || !sv_spn_decode (data, len, &spn, NULL))
    return NULL;
  if (spn.name[0] != '\0')
    name = g_steal_pointer (&spn.name);
  sv_spn_clear (&spn);
  return name;
}

/**
 * sv_card_image_get_sms_capacity:
 * @self: an image
 *
 * Returns: the number of EF_SMS records ("sms"), 0 without the file
 */
guint
sv_card_image_get_sms_capacity (SvCardImage *self)
{
  SvCardFile *file;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (self), 0);

  file = sv_card_image_lookup (self, "sms");
  return file ? file->records->len : 0;
}
