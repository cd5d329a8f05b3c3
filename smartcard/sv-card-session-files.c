/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SvCardSession's file navigation: SELECT by path with the current DF
 * remembered so that siblings cost one SELECT, the USIM ADF, and the
 * record and binary commands on the selected EF. The APDU transport and
 * transactions are in sv-card-session.c.
 */
#define G_LOG_DOMAIN "sv-card"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-card-error.h"
#include "sv-card-session-private.h"
#include "sv-hex.h"
#include "sv-identity.h"

typedef enum
{
  OP_READ_RECORD,
  OP_READ_BINARY,
  OP_UPDATE_RECORD,
  OP_UPDATE_BINARY,
} DataOperation;

/* sv_card_session_command() for the commands sent once per record: the
 * operation is named (a string formatted) only when the card refuses. */
static gboolean
data_command (SvCardSession  *self,
              DataOperation   op,
              guint           n,
              guint8          ins,
              guint8          p1,
              guint8          p2,
              const guint8   *data,
              gsize           lc,
              gint            le,
              GBytes        **response,
              guint16        *sw,
              GError        **error)
{
  const guint8 header[4] = { self->cla, ins, p1, p2 };
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *operation = NULL;
  const char *ef = self->selected_ef ? self->selected_ef : "?";
  guint16 status = 0;

  if (!sv_card_session_transmit (self, header, data, lc, le,
                                 response ? &bytes : NULL, &status, error))
    return FALSE;
  if (sw)
    *sw = status;
  if (G_LIKELY (sv_status_word_classify (status, NULL, NULL, NULL) != SV_STATUS_FAILURE))
    {
      if (response)
        *response = g_steal_pointer (&bytes);
      return TRUE;
    }
  switch (op)
    {
    case OP_READ_RECORD:
      operation = g_strdup_printf ("READ RECORD %u of %s", n, ef);
      break;
    case OP_READ_BINARY:
      operation = g_strdup_printf ("READ BINARY at %u of %s", n, ef);
      break;
    case OP_UPDATE_RECORD:
      operation = g_strdup_printf ("UPDATE RECORD %u of %s", n, ef);
      break;
    case OP_UPDATE_BINARY:
    default:
      operation = g_strdup_printf ("UPDATE BINARY at %u of %s", n, ef);
      break;
    }
  return sv_status_word_check (status, self->reader_name, operation, error);
}

static gboolean
is_df_fid (const char *fid)
{
  return g_ascii_strncasecmp (fid, "3F", 2) == 0 ||
         g_ascii_strncasecmp (fid, "7F", 2) == 0 ||
         g_ascii_strncasecmp (fid, "5F", 2) == 0;
}

static guint16
fid_value (const char *fid)
{
  return (guint16) g_ascii_strtoull (fid, NULL, 16);
}

void
sv_card_session_forget_selected_ef (SvCardSession *self)
{
  g_clear_pointer (&self->selected_ef, g_free);
  sv_file_info_clear (&self->selected_info);
  self->selected_info_valid = FALSE;
}

void
sv_card_session_forget_selection (SvCardSession *self)
{
  g_ptr_array_set_size (self->current_df, 0);
  sv_card_session_forget_selected_ef (self);
}
static gboolean
select_adf (SvCardSession  *self,
            GError        **error)
{
  const guint8 *aid;
  gsize aid_len;
  guint16 sw = 0;
  const guint8 header[4] = { self->cla, INS_SELECT, 0x04, 0x0C };
  const guint8 header_fcp[4] = { self->cla, INS_SELECT, 0x04, 0x04 };

  if (self->usim_aid == NULL)
    {
      g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_FILE_NOT_FOUND,
                   _("%s: the card has no USIM application"), self->reader_name);
      return FALSE;
    }
  aid = g_bytes_get_data (self->usim_aid, &aid_len);
  if (!sv_card_session_transmit (self, header, aid, aid_len, -1, NULL, &sw, error))
    return FALSE;
  if (sw == 0x6A86 || sw == 0x6B00)
    {
      /* Some cards refuse "no response data": ask for the FCP, and drop it. */
      g_autoptr(GBytes) fcp = NULL;

      if (!sv_card_session_transmit (self, header_fcp, aid, aid_len,
                                     self->protocol == SV_CARD_PROTOCOL_T1 ? 256 : -1,
                                     &fcp, &sw, error))
        return FALSE;
    }
  if (!sv_status_word_check (sw, self->reader_name, "SELECT ADF.USIM", error))
    {
      sv_card_session_forget_selection (self);
      return FALSE;
    }
  g_ptr_array_set_size (self->current_df, 0);
  g_ptr_array_add (self->current_df, g_strdup ("7FFF"));
  sv_card_session_forget_selected_ef (self);
  return TRUE;
}

static gboolean
select_fid (SvCardSession   *self,
            const char      *fid,
            gboolean         want_info,
            SvFileInfo      *info,
            const char      *path_for_errors,
            GError         **error)
{
  guint16 value = fid_value (fid);
  const guint8 fid_bytes[2] = { value >> 8, value & 0xFF };
  g_autoptr(GBytes) response = NULL;
  g_autofree char *operation = g_strdup_printf ("SELECT %s (%s)", fid, path_for_errors);
  guint16 sw = 0;
  guint8 p2;
  gint le = -1;

  if (self->cla == CLA_GSM)
    p2 = 0x00;
  else if (want_info)
    {
      p2 = 0x04;            /* return FCP */
      if (self->protocol == SV_CARD_PROTOCOL_T1)
        le = 256;
    }
  else
    p2 = 0x0C;              /* no data */

  if (!sv_card_session_command (self, operation, INS_SELECT, 0x00, p2, fid_bytes, 2, le,
                                want_info ? &response : NULL, &sw, error))
    return FALSE;

  if (want_info)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (response, &len);
      g_autoptr(GError) local_error = NULL;

      /* Some cards give an EF a structure code the specifications do not
       * define; read leniently, such a card can still be backed up. */
      if (!sv_file_info_decode (data, len, SV_FILE_INFO_LENIENT_STRUCTURE, info, &local_error))
        {
          g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_MALFORMED_RESPONSE,
                       "%s: %s: %s", self->reader_name, operation, local_error->message);
          return FALSE;
        }
      if (info->structure == SV_FILE_STRUCTURE_UNKNOWN ||
          ((info->structure == SV_FILE_STRUCTURE_LINEAR_FIXED ||
            info->structure == SV_FILE_STRUCTURE_CYCLIC) && info->record_len == 0))
        {
          g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_MALFORMED_RESPONSE,
                       _("%s: %s: the answer gives no file structure or no record length"),
                       self->reader_name, operation);
          sv_file_info_clear (info);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
select_df_step (SvCardSession  *self,
                const char     *fid,
                const char     *path,
                GError        **error)
{
  if (g_ascii_strcasecmp (fid, "7FFF") == 0)
    return select_adf (self, error);
  if (!select_fid (self, fid, FALSE, NULL, path, error))
    {
      sv_card_session_forget_selection (self);
      return FALSE;
    }
  if (g_ascii_strcasecmp (fid, "3F00") == 0)
    g_ptr_array_set_size (self->current_df, 0);
  g_ptr_array_add (self->current_df, g_ascii_strup (fid, -1));
  sv_card_session_forget_selected_ef (self);
  return TRUE;
}

/* Selects the DF @fids[@depth] from a DF where that is allowed (its
 * parent, child or sibling), leaving current_df = @fids[0..@depth]. */
static gboolean
select_df_at (SvCardSession  *self,
              char          **fids,
              guint           depth,
              const char     *path,
              GError        **error)
{
  if (depth == 0 || g_ascii_strcasecmp (fids[depth], "7FFF") == 0)
    {
      g_ptr_array_set_size (self->current_df, 0);
      return select_df_step (self, fids[depth], path, error);
    }
  if (!select_fid (self, fids[depth], FALSE, NULL, path, error))
    {
      sv_card_session_forget_selection (self);
      return FALSE;
    }
  g_ptr_array_set_size (self->current_df, 0);
  for (guint i = 0; i <= depth; i++)
    g_ptr_array_add (self->current_df, g_ascii_strup (fids[i], -1));
  sv_card_session_forget_selected_ef (self);
  return TRUE;
}

typedef enum {
  PATH_SELECT_DONE,
  PATH_SELECT_FAILED,
  PATH_SELECT_REFUSED,      /* the card does not select by path: walk */
} PathSelectResult;

/* SELECT by path from the MF of the EF @fids[@n - 1] (UICC, no data
 * wanted: P2 '0C', so no response data and no GET RESPONSE). */
static PathSelectResult
select_by_path_from_mf (SvCardSession  *self,
                        char          **fids,
                        guint           n,
                        const char     *path,
                        GError        **error)
{
  g_autofree guint8 *bytes = g_new (guint8, 2 * (n - 1));
  g_autofree char *operation = g_strdup_printf ("SELECT by path %s", path);
  g_autoptr(GError) local_error = NULL;
  guint16 sw = 0;

  for (guint i = 1; i < n; i++)
    {
      guint16 value = fid_value (fids[i]);

      bytes[2 * (i - 1)] = value >> 8;
      bytes[2 * (i - 1) + 1] = value & 0xFF;
    }
  sv_card_session_forget_selection (self);
  if (!sv_card_session_command (self, operation, INS_SELECT, 0x08, 0x0C, bytes, 2 * (n - 1), -1,
                                NULL, &sw, &local_error))
    {
      if (g_error_matches (local_error, SV_CARD_ERROR, SV_CARD_ERROR_WRONG_PARAMETERS) ||
          g_error_matches (local_error, SV_CARD_ERROR, SV_CARD_ERROR_INS_NOT_SUPPORTED))
        return PATH_SELECT_REFUSED;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return PATH_SELECT_FAILED;
    }
  g_ptr_array_set_size (self->current_df, 0);
  for (guint i = 0; i < n - 1; i++)
    g_ptr_array_add (self->current_df, g_ascii_strup (fids[i], -1));
  self->selected_ef = g_ascii_strup (path, -1);
  self->selected_info_valid = FALSE;
  return PATH_SELECT_DONE;
}

/**
 * sv_card_session_select:
 * @path: upper-case hex FIDs from the MF ("3F007F106F3A") or from the USIM
 *   ADF ("7FFF6F07")
 * @info: (out caller-allocates) (optional): what the card says about the
 *   file (the FCP or 2G header, decoded leniently, see
 *   #SV_FILE_INFO_LENIENT_STRUCTURE); clear with sv_file_info_clear()
 *
 * Selects a file with as few SELECTs as the current DF allows: a sibling
 * of the last file costs one, the ADF is selected by AID. Selecting the
 * EF that is already selected costs nothing.
 */
gboolean
sv_card_session_select (SvCardSession   *self,
                        const char      *path,
                        SvFileInfo      *info,
                        GError         **error)
{
  gsize path_len = strlen (path);
  g_auto(GStrv) fids = NULL;
  guint n, n_parent, start, common;
  SvFileInfo local_info = { 0, };

  if (path_len < 4 || path_len % 4 != 0)
    {
      g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_WRONG_PARAMETERS,
                   _("“%s” is not a path of 2-byte file identifiers"), path);
      return FALSE;
    }
  n = path_len / 4;
  fids = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    fids[i] = g_ascii_strup (path + 4 * i, 4);

  if (self->selected_ef && g_ascii_strcasecmp (self->selected_ef, path) == 0 &&
      (info == NULL || self->selected_info_valid))
    {
      if (info)
        sv_file_info_copy (&self->selected_info, info);
      return TRUE;
    }

  if (is_df_fid (fids[n - 1]))
    n_parent = n;                          /* selecting a DF */
  else
    n_parent = n - 1;

  /* Where the card is against where it must go (TS 102.221 §8.4.1, TS
   * 51.011 §6.5: from a DF one may select its children, its parent, its
   * siblings and the MF; the ADF by AID from anywhere). */
  common = 0;
  while (common < self->current_df->len && common < n_parent &&
         g_ascii_strcasecmp (g_ptr_array_index (self->current_df, common), fids[common]) == 0)
    common++;

  if (common == self->current_df->len && common > 0)
    start = common;                                   /* there, or below */
  else if (common > 0 && common == n_parent && self->current_df->len == common + 1)
    {
      /* Up to the immediate parent. */
      if (!select_df_at (self, fids, common - 1, path, error))
        return FALSE;
      start = common;
    }
  else if (common > 0 && self->current_df->len == common + 1 && n_parent > common)
    {
      /* Across to a sibling DF. */
      if (!select_df_at (self, fids, common, path, error))
        return FALSE;
      start = common + 1;
    }
  else
    {
      g_ptr_array_set_size (self->current_df, 0);
      start = 0;
    }

  /* An EF below the MF reached from elsewhere (EF_ICCID from the USIM
   * ADF, the write's card check): one SELECT by path from the MF (TS
   * 102.221 §8.4.2, §11.1.1: P1 '08', the path without '3F00') instead of
   * one per DF on the way. Not on a 2G SIM (TS 51.011 selects by FID
   * only), not when the FCP is wanted; a card that refuses P1 '08' is
   * walked down FID by FID as before. */
  if (self->cla != CLA_GSM && info == NULL && n_parent < n && start < n_parent &&
      g_ascii_strcasecmp (fids[0], "3F00") == 0 && n >= 2)
    {
      PathSelectResult result = select_by_path_from_mf (self, fids, n, path, error);

      if (result == PATH_SELECT_DONE)
        return TRUE;
      if (result == PATH_SELECT_FAILED)
        return FALSE;
      g_ptr_array_set_size (self->current_df, 0);
      start = 0;
    }

  for (guint i = start; i < n_parent; i++)
    if (!select_df_step (self, fids[i], path, error))
      return FALSE;

  if (n_parent == n)
    {
      if (info)
        {
          memset (info, 0, sizeof *info);
          info->fid = fid_value (fids[n - 1]);
          info->structure = SV_FILE_STRUCTURE_DF;
          info->sfi = -1;
        }
      return TRUE;
    }

  /* Without @info the caller knows the file already (a write): no FCP,
   * so no GET RESPONSE. */
  if (!select_fid (self, fids[n - 1], info != NULL, &local_info, path, error))
    {
      sv_card_session_forget_selected_ef (self);
      return FALSE;
    }
  sv_card_session_forget_selected_ef (self);
  self->selected_ef = g_ascii_strup (path, -1);
  self->selected_info = local_info;
  self->selected_info_valid = info != NULL;
  if (info)
    sv_file_info_copy (&self->selected_info, info);
  return TRUE;
}

/**
 * sv_card_session_select_df_status:
 * @fid_hex: a DF ("3F00", "7F20")
 *
 * Selects a DF and returns its full SELECT answer (2G: the header with
 * the CHV status bytes of TS 51.011 §9.2.1; UICC: the FCP with the PIN
 * status template).
 */
GBytes *
sv_card_session_select_df_status (SvCardSession  *self,
                                  const char     *fid_hex,
                                  GError        **error)
{
  guint16 value = fid_value (fid_hex);
  const guint8 fid_bytes[2] = { value >> 8, value & 0xFF };
  g_autofree char *operation = g_strdup_printf ("SELECT %s", fid_hex);
  GBytes *response = NULL;
  gint le = -1;
  guint8 p2 = 0x00;

  if (self->cla != CLA_GSM)
    {
      p2 = 0x04;
      if (self->protocol == SV_CARD_PROTOCOL_T1)
        le = 256;
    }
  if (!sv_card_session_command (self, operation, INS_SELECT, 0x00, p2, fid_bytes, 2, le,
                                &response, NULL, error))
    {
      sv_card_session_forget_selection (self);
      return NULL;
    }
  sv_card_session_forget_selection (self);
  if (g_ascii_strcasecmp (fid_hex, "3F00") == 0)
    g_ptr_array_add (self->current_df, g_strdup ("3F00"));
  return response;
}

GBytes *
sv_card_session_read_record (SvCardSession  *self,
                             guint           record,
                             guint           length,
                             GError        **error)
{
  GBytes *response = NULL;

  g_return_val_if_fail (record >= 1 && record <= 255, NULL);
  if (!data_command (self, OP_READ_RECORD, record, INS_READ_RECORD, (guint8) record, 0x04,
                     NULL, 0, length == 0 ? 256 : (gint) MIN (length, 256),
                     &response, NULL, error))
    return NULL;
  return response;
}

GBytes *
sv_card_session_read_binary (SvCardSession  *self,
                             guint           offset,
                             guint           length,
                             GError        **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint chunk_max = self->cla == CLA_GSM ? 255 : 256;

  while (out->len < length)
    {
      guint pos = offset + out->len;
      guint chunk = MIN (length - out->len, chunk_max);
      g_autoptr(GBytes) part = NULL;
      guint16 sw = 0;

      if (!data_command (self, OP_READ_BINARY, pos, INS_READ_BINARY, (guint8) (pos >> 8),
                         (guint8) (pos & 0xFF), NULL, 0, (gint) chunk, &part, &sw, error))
        return NULL;
      if (g_bytes_get_size (part) == 0)
        break;
      g_byte_array_append (out, g_bytes_get_data (part, NULL), g_bytes_get_size (part));
      if (sw == 0x6282)
        break;        /* end of file reached before Le bytes */
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

gboolean
sv_card_session_update_record (SvCardSession  *self,
                               guint           record,
                               GBytes         *bytes,
                               GError        **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  g_return_val_if_fail (len > 0 && len <= 255, FALSE);
  return data_command (self, OP_UPDATE_RECORD, record, INS_UPDATE_RECORD, (guint8) record, 0x04,
                       data, len, -1, NULL, NULL, error);
}

gboolean
sv_card_session_update_binary (SvCardSession  *self,
                               guint           offset,
                               GBytes         *bytes,
                               GError        **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  for (gsize done = 0; done < len;)
    {
      guint pos = offset + done;
      gsize chunk = MIN (len - done, 255);
      if (!data_command (self, OP_UPDATE_BINARY, pos, INS_UPDATE_BINARY, (guint8) (pos >> 8),
                         (guint8) (pos & 0xFF), data + done, chunk, -1, NULL, NULL, error))
        return FALSE;
      done += chunk;
    }
  return TRUE;
}

/**
 * sv_card_session_search_record:
 *
 * SEARCH RECORD, simple search forward from record 1 in the selected EF
 * (TS 102.221 §11.1.5). UICC only.
 *
 * Returns: (transfer full) (element-type guint8): the matching records
 */
GArray *
sv_card_session_search_record (SvCardSession  *self,
                               const guint8   *pattern,
                               gsize           pattern_len,
                               GError        **error)
{
  g_autofree char *operation = g_strdup_printf ("SEARCH RECORD in %s",
                                                self->selected_ef ? self->selected_ef : "?");
  g_autoptr(GBytes) response = NULL;
  GArray *records;
  gsize len;
  const guint8 *data;

  if (self->cla == CLA_GSM)
    {
      g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_INS_NOT_SUPPORTED,
                   _("%s: SEARCH RECORD needs a UICC"), self->reader_name);
      return NULL;
    }
  if (!sv_card_session_command (self, operation, INS_SEARCH_RECORD, 0x01, 0x04,
                                pattern, pattern_len, 256, &response, NULL, error))
    return NULL;
  data = g_bytes_get_data (response, &len);
  records = g_array_sized_new (FALSE, FALSE, 1, len);
  g_array_append_vals (records, data, len);
  return records;
}

const char *
sv_card_session_get_selected_path (SvCardSession *self)
{
  return self->selected_ef;
}
